#!/bin/sh
# llama.cpp's LoRA converter (convert_lora_to_gguf.py and its `conversion` package, MIT),
# unpacked from a llama-cpp-python source release (downloaded only, never compiled; the
# runtime is xllamacpp's prebuilt llama.cpp). Usage: llamacpp-tools.sh VENV_BIN DEST
set -eu
BIN=$1
DEST=$2
VERSION=0.3.36
[ -f "$DEST/convert_lora_to_gguf.py" ] && exit 0
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$BIN/pip" download --quiet --no-binary :all: --no-deps "llama-cpp-python==$VERSION" -d "$WORK"
tar xzf "$WORK"/llama_cpp_python-$VERSION.tar.gz -C "$WORK"
SRC="$WORK/llama_cpp_python-$VERSION/vendor/llama.cpp"
mkdir -p "$DEST"
cp -r "$SRC/convert_lora_to_gguf.py" "$SRC/conversion" "$SRC/LICENSE" "$DEST/"
echo "llama.cpp LoRA converter in $DEST"
