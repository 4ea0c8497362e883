#!/usr/bin/env bash
# Refresh the Swagger UI assets /api/docs serves (no CDN: the docs work offline).
#   gateway/scripts/vendor_swagger_ui.sh [version]     # from the repository root; needs npm
# Takes swagger-ui-dist from the npm registry at the pinned version, keeps only what the page loads
# plus the license, drops the source-map comments (the maps are not shipped) and records checksums.
set -euo pipefail

VERSION="${1:-5.36.0}"
DEST="gateway/src/ima2_gateway/static/swagger-ui"
FILES=(swagger-ui-bundle.js swagger-ui.css favicon-32x32.png LICENSE NOTICE)

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "swagger-ui-dist@${VERSION}" >/dev/null && tar -xzf "swagger-ui-dist-${VERSION}.tgz")

rm -rf "$DEST"
mkdir -p "$DEST"
for name in "${FILES[@]}"; do
    cp "$tmp/package/$name" "$DEST/$name"
done
sed -i '/^\/[/*]# sourceMappingURL=/d' "$DEST/swagger-ui-bundle.js" "$DEST/swagger-ui.css"
echo "swagger-ui-dist ${VERSION} (npm), refreshed by gateway/scripts/vendor_swagger_ui.sh" > "$DEST/VERSION"
(cd "$DEST" && sha256sum "${FILES[@]}" > SHA256SUMS)
echo "vendored swagger-ui-dist ${VERSION} into ${DEST}"
