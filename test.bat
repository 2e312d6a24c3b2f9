@echo off
rem Windows: what `make test` does. The set-up of run.bat, then ruff and every test (the
rem browser and print tests skip when Chromium or LibreOffice is missing). Arguments go to
rem pytest: test.bat tests\test_template.py
setlocal
cd /d "%~dp0"
call run.bat --setup-only || exit /b 1
.venv\Scripts\ruff check matcher web cli tests run.py || exit /b 1
.venv\Scripts\python -m pytest -q -p no:cacheprovider %*
exit /b %errorlevel%
