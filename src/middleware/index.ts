// tsgi/middleware: PEP 3333 middleware ("Components that Play Both Sides"). Each one
// takes an app and returns an app.

export { mount, type Mounts } from './mount.js';
export { staticFiles, type StaticOptions } from './static.js';
export { proxyFix, type ProxyFixOptions } from './proxy-fix.js';
export { accessLog, DEFAULT_ACCESS_LOG_FORMAT, type AccessLogOptions } from './access-log.js';
export { requestTimeout, RequestTimeoutError, type RequestTimeoutOptions } from './request-timeout.js';
export { compress, negotiateEncoding, type CompressOptions, type Coding } from './compress.js';
export { requestId, type RequestIdOptions } from './request-id.js';
export { cors, type CorsOptions } from './cors.js';
export { contentTypeFor, isCompressible } from './mime.js';
