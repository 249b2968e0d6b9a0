#!/usr/bin/env bash
# System packages the tests and the agent need: Tesseract OCR, a virtual X screen, tools to
# drive windows on it, and Debian's Chromium for the review UI's browser tests. Installs only
# what is missing (with Debian's recommends: Xvfb needs their fonts); needs root or sudo.
set -euo pipefail
need=()
command -v tesseract >/dev/null || need+=(tesseract-ocr tesseract-ocr-eng)
command -v Xvfb >/dev/null || need+=(xvfb)
command -v xdotool >/dev/null || need+=(xdotool)
command -v xwininfo >/dev/null || need+=(x11-utils)
[ -x /usr/bin/chromium ] || need+=(chromium)          # the review UI's browser tests
"${PYTHON:-python3}" -c "import tkinter" 2>/dev/null || need+=(python3-tk tk)  # the agent's test window
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing system packages: ${need[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${need[@]}" >/dev/null
