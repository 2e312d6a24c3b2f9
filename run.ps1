# Windows PowerShell: what `make run` does. Creates .venv with the py launcher, installs the
# package with its extras (again whenever pyproject.toml changes) and starts the web app on
# http://127.0.0.1:5000. Arguments go to run.py:
#   powershell -ExecutionPolicy Bypass -File run.ps1 validate data\sample\roster.xlsx
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
# the stamp is a copy of pyproject.toml: install again when it differs
$stamp = Join-Path $PSScriptRoot ".venv\.installed"
if (-not (Test-Path $stamp) -or
        (Get-FileHash pyproject.toml).Hash -ne (Get-FileHash $stamp).Hash) {
    & $python -m pip install --quiet --upgrade pip
    if ($LASTEXITCODE -ne 0) { throw "pip could not be upgraded" }
    & $python -m pip install --quiet -e ".[test,dask,ods]"
    if ($LASTEXITCODE -ne 0) { throw "the package could not be installed" }
    Copy-Item pyproject.toml $stamp -Force
}
# the message catalogue: .po -> .mo (what `make` does with pybabel)
& $python tools\catalog.py compile
if ($LASTEXITCODE -ne 0) { throw "the message catalogue could not be compiled" }
# test.ps1 shares this set-up: it calls this script with --setup-only first
if ($args.Count -gt 0 -and $args[0] -eq "--setup-only") { exit 0 }
& $python run.py @args
exit $LASTEXITCODE
