// Solves specs against conda channels with rattler (the library behind pixi), then downloads every package of the
// solution and checks its size and sha256 against the repodata record: what a client does before it installs.
// Usage: node install.cjs <channel-url> <platform[,platform]> <spec>...
// Prints one JSON line per package ({"filename", "url", "subdir", "sha256", "size", "fetchedBytes"}); exits non-zero
// with the reason on stderr when solving, fetching or verifying fails.
'use strict';
const crypto = require('node:crypto');
const rattler = require('@conda-org/rattler');

async function main() {
  const [channel, platforms, ...specs] = process.argv.slice(2);
  if (!channel || !platforms || specs.length === 0) throw new Error('usage: node install.cjs <channel-url> <platforms> <spec>...');
  const solved = await rattler.simpleSolve(specs, [channel], platforms.split(','), undefined);
  for (const p of solved) {
    const response = await fetch(p.url);
    if (!response.ok) throw new Error(`${p.url}: HTTP ${response.status}`);
    const body = Buffer.from(await response.arrayBuffer());
    const sha256 = crypto.createHash('sha256').update(body).digest('hex');
    if (p.sha256 && sha256 !== p.sha256) throw new Error(`${p.filename}: sha256 ${sha256}, repodata says ${p.sha256}`);
    if (p.size !== undefined && BigInt(body.length) !== p.size) throw new Error(`${p.filename}: ${body.length} bytes, repodata says ${p.size}`);
    console.log(JSON.stringify({ filename: p.filename, url: p.url, subdir: p.subdir, sha256, size: Number(p.size), fetchedBytes: body.length }));
  }
}

main().catch(e => { console.error(String(e && e.stack || e)); process.exit(1); });
