#!/bin/sh
# Makes a one-file OCI image in an OCI layout directory, offline (sh, tar, sha256sum):
#   examples/make-demo-image.sh ./demo-image
#   skopeo copy --dest-tls-verify=false oci:./demo-image:v1 docker://127.0.0.1:5000/demo/hello:v1
set -eu
out=${1:?usage: make-demo-image.sh <directory>}
mkdir -p "$out/blobs/sha256"
cd "$out"

# Moves a file into blobs/sha256/<digest> and prints "<digest> <size>".
store() {
  digest=$(sha256sum "$1" | cut -d' ' -f1)
  size=$(wc -c < "$1" | tr -d ' ')
  mv "$1" "blobs/sha256/$digest"
  echo "$digest $size"
}

echo 'hello from gantry' > hello.txt
tar -cf layer.tar hello.txt && rm hello.txt
set -- $(store layer.tar); layer=$1 layer_size=$2
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$layer" > config.json
set -- $(store config.json); config=$1 config_size=$2
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
  "$config" "$config_size" "$layer" "$layer_size" > manifest.json
set -- $(store manifest.json); manifest=$1 manifest_size=$2
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"v1"}}]}' \
  "$manifest" "$manifest_size" > index.json
echo '{"imageLayoutVersion":"1.0.0"}' > oci-layout
echo "sha256:$manifest"
