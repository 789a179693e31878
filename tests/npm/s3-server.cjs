// An S3-compatible server on loopback for the publishing tests: s3rver (the real S3 XML API over a folder) behind a
// front that checks AWS Signature V4 itself, because s3rver 3.7 accepts any V4 signature from a known key id.
//   node s3-server.cjs <data-dir> <bucket>
//   env S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY: the only key pair accepted for writes and signed reads.
// Prints "listening <port>" once bound (127.0.0.1, port chosen by the OS), then one line per request when it ends:
//   "<METHOD> <status> <signed|anonymous> <key or ->"; a successful PUT also prints "stored <key>", a DELETE "deleted <key>";
//   "GET /__sync/<nonce>" prints "sync <nonce>" (see below).
// Anonymous GET/HEAD are served (a conda client reads the bucket over plain HTTP); anonymous writes are refused.
'use strict';
const http = require('http');
const crypto = require('crypto');
const S3rver = require('s3rver');
const AWSAccount = require('s3rver/lib/models/account');

const [dataDir, bucket] = process.argv.slice(2);
const accessKeyId = process.env.S3_ACCESS_KEY_ID;
const secret = process.env.S3_SECRET_ACCESS_KEY;
if (!dataDir || !bucket || !accessKeyId || !secret) {
  console.error('usage: S3_ACCESS_KEY_ID=… S3_SECRET_ACCESS_KEY=… node s3-server.cjs <data-dir> <bucket>');
  process.exit(2);
}
// s3rver's own check only looks the key id up; our front checks the signature.
AWSAccount.DUMMY_ACCOUNT.createKeyPair(accessKeyId, secret);
AWSAccount.DUMMY_ACCOUNT.revokeAccessKey('S3RVER');

const s3 = new S3rver({ directory: dataDir, silent: true, configureBuckets: [{ name: bucket }], vhostBuckets: false });

const hmac = (key, text) => crypto.createHmac('sha256', key).update(text, 'utf8').digest();
const sha256hex = text => crypto.createHash('sha256').update(text, 'utf8').digest('hex');
const rfc3986 = s => encodeURIComponent(s).replace(/[!'()*]/g, c => '%' + c.charCodeAt(0).toString(16).toUpperCase());

function canonicalQuery(raw) {
  if (!raw) return '';
  return raw.split('&').filter(p => p.length > 0).map(p => {
    const eq = p.indexOf('=');
    const k = decodeURIComponent((eq < 0 ? p : p.slice(0, eq)).replace(/\+/g, '%20'));
    const v = eq < 0 ? '' : decodeURIComponent(p.slice(eq + 1).replace(/\+/g, '%20'));
    return [rfc3986(k), rfc3986(v)];
  }).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => k + '=' + v).join('&');
}

// Returns null when the request is correctly signed with our key, else [S3 error code, message].
function verify(req) {
  const auth = req.headers.authorization;
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth || '');
  if (!m) return ['AccessDenied', 'Only AWS Signature Version 4 (Authorization header) is accepted.'];
  const [, keyId, date, region, service, signedHeaders, signature] = m;
  if (keyId !== accessKeyId) return ['InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.'];
  const amzDate = req.headers['x-amz-date'] || '';
  const q = req.url.indexOf('?');
  const path = q < 0 ? req.url : req.url.slice(0, q);
  const query = q < 0 ? '' : req.url.slice(q + 1);
  const names = signedHeaders.split(';');
  if (!names.includes('host')) return ['AccessDenied', 'The host header must be signed.'];
  const headers = names.map(n => n + ':' + String(req.headers[n] ?? '').trim().replace(/\s+/g, ' ') + '\n').join('');
  const payload = req.headers['x-amz-content-sha256'] || 'UNSIGNED-PAYLOAD';
  const canonical = [req.method, path, canonicalQuery(query), headers, signedHeaders, payload].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256hex(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac('AWS4' + secret, date), region), service), 'aws4_request');
  const expected = crypto.createHmac('sha256', key).update(toSign, 'utf8').digest('hex');
  if (!crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(signature)))
    return ['SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.'];
  return null;
}

function keyOf(url) {
  const path = url.split('?')[0];
  const prefix = '/' + bucket + '/';
  return path.startsWith(prefix) ? decodeURIComponent(path.slice(prefix.length)) : '-';
}

// s3rver's own listener is never started: its Koa callback serves behind ours, which does the checks first.
s3.configureBuckets().then(() => {
  const app = s3.callback();
  const server = http.createServer((req, res) => {
    // "GET /__sync/<nonce>": prints "sync <nonce>" after every earlier response's line (those are printed from
    // 'finish', which can trail the client by a tick), so a test can wait for the log instead of sleeping.
    const sync = /^\/__sync\/([0-9a-f]{32})$/.exec(req.url);
    if (sync) {
      setImmediate(() => {
        process.stdout.write(`sync ${sync[1]}\n`);
        res.writeHead(200, { 'Content-Length': 0 });
        res.end();
      });
      return;
    }
    const signed = 'authorization' in req.headers;
    const key = keyOf(req.url);
    res.on('finish', () => {
      const lines = [`${req.method} ${res.statusCode} ${signed ? 'signed' : 'anonymous'} ${key}`];
      if (req.method === 'PUT' && res.statusCode === 200 && key !== '-') lines.push(`stored ${key}`);
      if (req.method === 'DELETE' && res.statusCode === 204 && key !== '-') lines.push(`deleted ${key}`);
      process.stdout.write(lines.join('\n') + '\n');
    });
    const failure = signed ? verify(req) : (req.method === 'GET' || req.method === 'HEAD') ? null : ['AccessDenied', 'Anonymous writes are not allowed.'];
    if (failure) {
      req.resume();
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${failure[0]}</Code><Message>${failure[1]}</Message></Error>`;
      res.writeHead(403, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    app(req, res);
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
  // Kept-alive client connections would hold close() open: drop them, and never linger past a second.
  const stop = () => {
    server.close(() => process.exit(0));
    if (server.closeAllConnections) server.closeAllConnections();
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
}).catch(e => { console.error(e); process.exit(1); });
