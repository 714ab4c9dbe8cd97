// SPDX-License-Identifier: ISC
// sandgate: make Node's clients use the proxy in HTTPS_PROXY/HTTP_PROXY
// with no change to the code.  Loaded by NODE_OPTIONS=--require (the
// tools image's environment).  Node's http/https modules and its
// built-in fetch (undici) read no proxy variable: this sets
//   - https.globalAgent: a tunnel through CONNECT (RFC 9110 9.3.6) with
//     Basic proxy credentials (RFC 9110 11.7.1) from the proxy URL;
//   - http.globalAgent: requests in absolute form to the proxy
//     (RFC 9112 3.2.2) with the same credentials;
//   - fetch: undici's ProxyAgent as the global dispatcher (Debian's
//     node-undici), or else undici's own fetch bound to it.
// NO_PROXY/no_proxy: exact names or ".suffix"/"suffix" domain matches.
// Nothing is logged: the proxy URL holds the sandbox's token.
'use strict';
const http = require('http');
const https = require('https');
const net = require('net');
const tls = require('tls');

const raw = process.env.HTTPS_PROXY || process.env.https_proxy ||
    process.env.HTTP_PROXY || process.env.http_proxy || '';
let proxy = null;
try {
	if (raw !== '')
		proxy = new URL(raw);
} catch (e) {
	proxy = null;
}

function noProxy(host) {
	const list = (process.env.NO_PROXY || process.env.no_proxy || '')
	    .split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
	host = String(host || '').toLowerCase().replace(/^\[|\]$/g, '');
	for (const n of list) {
		if (n === '*' || n === host)
			return true;
		const d = n.startsWith('.') ? n : '.' + n;
		if (host.endsWith(d))
			return true;
	}
	return false;
}

if (proxy !== null && proxy.protocol === 'http:') {
	const phost = proxy.hostname.replace(/^\[|\]$/g, '');
	const pport = Number(proxy.port || 80);
	const auth = proxy.username !== '' ? 'Basic ' + Buffer.from(
	    decodeURIComponent(proxy.username) + ':' +
	    decodeURIComponent(proxy.password)).toString('base64') : null;

	class TunnelAgent extends https.Agent {
		createConnection(opts, cb) {
			const host = opts.host || opts.hostname || 'localhost';
			const port = opts.port || 443;
			if (noProxy(host))
				return tls.connect(opts);
			const s = net.connect(pport, phost);
			const target = net.isIPv6(host) ? `[${host}]:${port}` :
			    `${host}:${port}`;
			let hdr = `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n`;
			if (auth !== null)
				hdr += `Proxy-Authorization: ${auth}\r\n`;
			s.once('connect', () => s.write(hdr + '\r\n'));
			let buf = Buffer.alloc(0);
			const fail = (err) => { s.destroy(); cb(err); };
			s.once('error', fail);
			const onData = (d) => {
				buf = Buffer.concat([buf, d]);
				const end = buf.indexOf('\r\n\r\n');
				if (end < 0) {
					if (buf.length > 16384)
						fail(new Error('proxy: reply head too long'));
					return;
				}
				s.removeListener('data', onData);
				s.removeListener('error', fail);
				const line = buf.subarray(0, buf.indexOf('\r\n')).toString();
				const m = /^HTTP\/1\.[01] (\d{3})/.exec(line);
				if (m === null || m[1] !== '200') {
					const e = new Error('proxy refused CONNECT ' + target +
					    ': ' + line);
					e.code = 'ESANDGATEPROXY';
					e.statusCode = m === null ? 0 : Number(m[1]);
					s.destroy();
					cb(e);
					return;
				}
				const t = tls.connect(Object.assign({}, opts, {
					socket: s,
					servername: net.isIP(host) ? undefined :
					    (opts.servername || host),
				}));
				cb(null, t);
			};
			s.on('data', onData);
			return undefined;
		}
	}

	class ForwardAgent extends http.Agent {
		addRequest(req, opts) {
			const host = opts.host || opts.hostname || 'localhost';
			if (noProxy(host))
				return super.addRequest(req, opts);
			const port = opts.port || 80;
			const h = net.isIPv6(host) ? `[${host}]` : host;
			if (!/^https?:/.test(req.path))
				req.path = `http://${h}:${port}${req.path}`;
			if (auth !== null)
				req.setHeader('Proxy-Authorization', auth);
			return super.addRequest(req, Object.assign({}, opts,
			    { host: phost, hostname: phost, port: pport }));
		}
	}

	https.globalAgent = new TunnelAgent({ keepAlive: false });
	http.globalAgent = new ForwardAgent({ keepAlive: false });

	let undici = null;
	try {
		undici = require('undici');
	} catch (e) {
		undici = null;
	}
	if (undici !== null && typeof globalThis.fetch === 'function') {
		const opts = { uri: `http://${proxy.host}` };
		if (auth !== null)
			opts.token = auth;
		const pa = new undici.ProxyAgent(opts);
		const direct = new undici.Agent();
		// undici's ProxyAgent tunnels plain http: too (CONNECT to port
		// 80, which a proxy allows for TLS ports only): send those in
		// absolute form to the proxy instead, as curl does.
		const pool = new undici.Pool(`http://${proxy.host}`);
		class Forward extends undici.Dispatcher {
			dispatch(o, handler) {
				let headers = o.headers;
				if (auth !== null) {
					if (Array.isArray(headers))
						headers = headers.concat(
						    ['proxy-authorization', auth]);
					else
						headers = Object.assign({}, headers,
						    { 'proxy-authorization': auth });
				}
				return pool.dispatch(Object.assign({}, o, {
					origin: `http://${proxy.host}`,
					path: String(o.origin).replace(/\/$/, '') + o.path,
					headers,
				}), handler);
			}
			close(...a) { return pool.close(...a); }
			destroy(...a) { return pool.destroy(...a); }
		}
		const fwd = new Forward();
		const pick = (input) => {
			let u;
			try {
				u = new URL(input instanceof Object && input.url ?
				    input.url : String(input));
			} catch (e) {
				return pa;
			}
			if (noProxy(u.hostname))
				return direct;
			return u.protocol === 'http:' ? fwd : pa;
		};
		// undici's own fetch with the proxy as its dispatcher: the
		// built-in fetch may be a different undici than Debian's.
		const f = undici.fetch;
		globalThis.fetch = function fetch(input, init) {
			return f(input, Object.assign({}, init,
			    { dispatcher: pick(input) }));
		};
	}
}
