#!/bin/bash
# Regenerates the committed Swift code for the wire formats ScopeExport
# speaks (OTLP traces and logs, Prometheus remote-write) from the official
# .proto files. Run it only
# to move to another release; the output is committed, so builds and CI
# never need protoc or the plugin.
#
#   Scripts/generate-protos.sh [OPENTELEMETRY_PROTO_CHECKOUT [PROMETHEUS_CHECKOUT]]
#
# Needs protoc (Debian's protobuf-compiler, installed here if missing) and
# protoc-gen-swift of the swift-protobuf release Package.swift resolves
# (1.39.0), built from SwiftPM's checkout of it in .build/checkouts.
# Without arguments, opentelemetry-proto is cloned at OTLP_TAG and
# prometheus at PROMETHEUS_TAG (only prompb/ is used). Prometheus's
# prompb/*.proto carry gogoproto options (Go code generation only); they
# are removed before generating, which changes no wire format.
set -euo pipefail
cd "$(dirname "$0")/.."
OTLP_TAG=${OTLP_TAG:-v1.11.0}
PROMETHEUS_TAG=${PROMETHEUS_TAG:-v3.14.0}
export PATH=/opt/swift/usr/bin:$PATH

if ! command -v protoc >/dev/null; then
    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y protobuf-compiler
fi

proto_dir=${1:-}
if [ -z "$proto_dir" ]; then
    proto_dir=.build/opentelemetry-proto-$OTLP_TAG
    [ -d "$proto_dir" ] || git clone --depth 1 --branch "$OTLP_TAG" https://github.com/open-telemetry/opentelemetry-proto "$proto_dir"
fi

swift package resolve
plugin_src=.build/checkouts/swift-protobuf
swift build --package-path "$plugin_src" -c release --product protoc-gen-swift
plugin="$plugin_src/.build/release/protoc-gen-swift"

out=Sources/ScopeExport/OTLP/Generated
rm -rf "$out"
mkdir -p "$out"
# Protos/dpdkscope/otlp/v1/framed.proto: our wire-compatible request
# messages whose records are `bytes` (see the file), generated with the
# official ones it imports.
protoc --plugin=protoc-gen-swift="$plugin" -I "$proto_dir" -I Protos \
    --swift_out="$out" --swift_opt=FileNaming=PathToUnderscores --swift_opt=Visibility=Public \
    dpdkscope/otlp/v1/framed.proto \
    opentelemetry/proto/common/v1/common.proto \
    opentelemetry/proto/resource/v1/resource.proto \
    opentelemetry/proto/trace/v1/trace.proto \
    opentelemetry/proto/logs/v1/logs.proto \
    opentelemetry/proto/collector/trace/v1/trace_service.proto \
    opentelemetry/proto/collector/logs/v1/logs_service.proto
prometheus_dir=${2:-}
if [ -z "$prometheus_dir" ]; then
    prometheus_dir=.build/prometheus-$PROMETHEUS_TAG
    [ -d "$prometheus_dir" ] || git clone --depth 1 --branch "$PROMETHEUS_TAG" https://github.com/prometheus/prometheus "$prometheus_dir"
fi
prompb=$(mktemp -d)
for file in types remote; do
    sed -E '/^import "gogoproto\/gogo.proto";/d; s/ ?\[\(gogoproto\.nullable\) = false\]//g' \
        "$prometheus_dir/prompb/$file.proto" >"$prompb/$file.proto"
done
rw_out=Sources/ScopeExport/RemoteWrite/Generated
rm -rf "$rw_out"
mkdir -p "$rw_out"
protoc --plugin=protoc-gen-swift="$plugin" -I "$prompb" --swift_out="$rw_out" --swift_opt=Visibility=Public \
    types.proto remote.proto
mv "$rw_out/types.pb.swift" "$rw_out/prompb_types.pb.swift"
mv "$rw_out/remote.pb.swift" "$rw_out/prompb_remote.pb.swift"
rm -rf "$prompb"
echo "prometheus $PROMETHEUS_TAG ($(git -C "$prometheus_dir" rev-parse --short HEAD 2>/dev/null || echo checkout)) prompb/types.proto and remote.proto, gogoproto options removed, $("$plugin" --version)" >"$rw_out/VERSION"
ls "$rw_out"

echo "opentelemetry-proto $OTLP_TAG ($(git -C "$proto_dir" rev-parse --short HEAD 2>/dev/null || echo checkout)) and Protos/dpdkscope/otlp/v1/framed.proto, $("$plugin" --version)" > "$out/VERSION"
ls "$out"
