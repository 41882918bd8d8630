#!/usr/bin/env bash
# Builds the one-folder client with PyInstaller and packs it as a .deb for Debian-based desktops
# (UOS, Kylin, Debian 12). Usage: installer/build-deb.sh  → build/yichuang_<version>_<arch>.deb
# YICHUANG_BUILD_PYTHON: build with that interpreter (a venv that has the project's dependencies) instead of
# setting up .venv. YICHUANG_DEB_COMPRESS=gzip packs faster than the default xz (a larger file).
# Takes about 4-5 minutes on 2 quiet vCPU (PyInstaller's analysis, then xz).
set -euo pipefail
cd "$(dirname "$0")/.."
py=${YICHUANG_BUILD_PYTHON:-}
if [ -z "$py" ]; then
  bash scripts/setup
  py=.venv/bin/python
fi
"$py" -c "import PyInstaller" 2>/dev/null ||
  "$py" -m pip install -q --disable-pip-version-check "pyinstaller>=6" 2>&1 | grep -v "^WARNING: Location" || true
started=$(date +%s)
"$py" -m PyInstaller installer/yichuang.spec --noconfirm --distpath build/dist --workpath build/work --log-level WARN
version=$("$py" -c "import desktop; print(desktop.__version__)")
arch=$(dpkg --print-architecture)
root=build/deb
rm -rf "$root"
mkdir -p "$root/DEBIAN" "$root/opt" "$root/usr/bin" "$root/usr/share/applications"
cp -a build/dist/yichuang "$root/opt/yichuang"
ln -s /opt/yichuang/yichuang "$root/usr/bin/yichuang"
cat > "$root/usr/share/applications/yichuang.desktop" <<DESK
[Desktop Entry]
Type=Application
Name=一窗 综合窗口受理
Name[zh_CN]=一窗 综合窗口受理
Comment=Comprehensive-window intake client
Exec=/opt/yichuang/yichuang gui
Terminal=false
Categories=Office;
DESK
cat > "$root/DEBIAN/control" <<CTRL
Package: yichuang
Version: ${version}
Architecture: ${arch}
Maintainer: Yichuang developers
Recommends: fonts-hanazono
Depends: fonts-wqy-microhei, libegl1, libgl1, libxkbcommon0, libxkbcommon-x11-0, libfontconfig1, libdbus-1-3, libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, libxcb-shape0, libxcb-image0, libxcb-render-util0
Section: misc
Priority: optional
Description: 一窗: comprehensive-window intake client for government service centres
 Intake of any catalogue matter, receipt vouchers and one-time notices, offline outbox and
 exactly-once sync with the centre's PostgreSQL.
CTRL
dpkg-deb --root-owner-group -Z"${YICHUANG_DEB_COMPRESS:-xz}" --build "$root" "build/yichuang_${version}_${arch}.deb"
echo "bundle: $(du -sh build/dist/yichuang | cut -f1), package: $(du -h "build/yichuang_${version}_${arch}.deb" | cut -f1), built in $(( $(date +%s) - started )) s" >&2
echo "build/yichuang_${version}_${arch}.deb"
