# Windows PowerShell: what `make test` does. The set-up of run.ps1, then ruff and every test
# (the browser and print tests skip when Chromium or LibreOffice is missing). Arguments go
# to pytest:  powershell -ExecutionPolicy Bypass -File test.ps1 tests\test_template.py
$ErrorActionPreference = "Stop"
Set-Location -Path $PSScriptRoot
$python = Join-Path $PSScriptRoot ".venv\Scripts\python.exe"
if (-not (Test-Path $python)) {
    py -3.11 -m venv .venv
    if ($LASTEXITCODE -ne 0) { py -3 -m venv .venv }
    if ($LASTEXITCODE -ne 0) {
        throw "Python 3.11 or newer is needed: install it from python.org with the py launcher."
    }
}
$stamp = Join-Path $PSScriptRoot ".venv\.installed"
if (-not (Test-Path $stamp) -or
        (Get-FileHash pyproject.toml).Hash -ne (Get-FileHash $stamp).Hash) {
    & $python -m pip install --quiet --upgrade pip
    if ($LASTEXITCODE -ne 0) { throw "pip could not be upgraded" }
    & $python -m pip install --quiet -e ".[test,dask,ods]"
    if ($LASTEXITCODE -ne 0) { throw "the package could not be installed" }
    Copy-Item pyproject.toml $stamp -Force
}
& (Join-Path $PSScriptRoot ".venv\Scripts\ruff.exe") check matcher web cli tests run.py
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
& $python -m pytest -q -p no:cacheprovider @args
exit $LASTEXITCODE
