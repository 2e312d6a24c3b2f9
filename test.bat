@echo off
rem Windows: what `make test` does. The set-up of run.bat, then ruff and every test (the
rem browser and print tests skip when Chromium or LibreOffice is missing). Arguments go to
rem pytest: test.bat tests\test_template.py
setlocal
cd /d "%~dp0"
if not exist .venv\Scripts\python.exe (
  py -3.11 -m venv .venv || py -3 -m venv .venv || (
    echo Python 3.11 or newer is needed: install it from python.org with the py launcher.
    exit /b 1
  )
)
fc /b pyproject.toml .venv\.installed >nul 2>&1
if errorlevel 1 (
  .venv\Scripts\python -m pip install --quiet --upgrade pip || exit /b 1
  .venv\Scripts\python -m pip install --quiet -e ".[test,dask,ods]" || exit /b 1
  copy /y pyproject.toml .venv\.installed >nul
)
.venv\Scripts\ruff check matcher web cli tests run.py || exit /b 1
.venv\Scripts\python -m pytest -q -p no:cacheprovider %*
exit /b %errorlevel%
