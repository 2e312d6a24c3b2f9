# Windows PowerShell: what `make test` does. The set-up of run.ps1, then ruff and every test
# (the browser and print tests skip when Chromium or LibreOffice is missing). Arguments go
# to pytest:  powershell -ExecutionPolicy Bypass -File test.ps1 tests\test_template.py
$ErrorActionPreference = "Stop"
Set-Location -Path $PSScriptRoot
& (Join-Path $PSScriptRoot "run.ps1") --setup-only
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
$python = Join-Path $PSScriptRoot ".venv\Scripts\python.exe"
& (Join-Path $PSScriptRoot ".venv\Scripts\ruff.exe") check matcher web cli tests run.py
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
& $python -m pytest -q -p no:cacheprovider @args
exit $LASTEXITCODE
