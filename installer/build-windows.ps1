# Builds the one-folder Windows client (run in PowerShell on a Windows build machine with Python 3.11+).
# The CJK font is not on Windows by default in this form: copy wqy-microhei.ttc into desktop\resources\fonts first
# (Apache-2.0), or set YICHUANG_CJK_FONT on the window PCs.
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")
if (-not (Test-Path .venv)) { py -3.11 -m venv .venv }
.\.venv\Scripts\python -m pip install -e . "pyinstaller>=6"
.\.venv\Scripts\python -m PyInstaller installer\yichuang.spec --noconfirm --distpath build\dist --workpath build\work
Write-Output "build\dist\yichuang\yichuang.exe"
