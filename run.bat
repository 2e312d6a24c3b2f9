@echo off
rem Windows: what `make run` does. Creates .venv with the py launcher, installs the package
rem with its extras (again whenever pyproject.toml changes) and starts the web app on
rem http://127.0.0.1:5000. Arguments go to run.py: run.bat validate data\sample\roster.xlsx
setlocal
cd /d "%~dp0"
if not exist .venv\Scripts\python.exe (
  py -3.11 -m venv .venv || py -3 -m venv .venv || (
    echo Python 3.11 or newer is needed: install it from python.org with the py launcher.
    exit /b 1
  )
)
rem the stamp is a copy of pyproject.toml: install again when it differs
fc /b pyproject.toml .venv\.installed >nul 2>&1
if errorlevel 1 (
  .venv\Scripts\python -m pip install --quiet --upgrade pip || exit /b 1
  .venv\Scripts\python -m pip install --quiet -e ".[test,dask,ods]" || exit /b 1
  copy /y pyproject.toml .venv\.installed >nul
)
rem the message catalogue: .po -> .mo (what `make` does with pybabel)
.venv\Scripts\python tools\catalog.py compile || exit /b 1
rem test.bat shares this set-up: it calls this script with --setup-only first
if "%~1"=="--setup-only" exit /b 0
.venv\Scripts\python run.py %*
exit /b %errorlevel%
