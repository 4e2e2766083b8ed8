// tsgi/util: helpers for writing PEP 3333 applications and middleware, after
// CPython's wsgiref.util and wsgiref.headers.

export { Headers, type HeaderPair, type HeaderParams } from './headers.js';
export {
  requestUri, applicationUri, shiftPathInfo, setupTestingDefaults, guessScheme,
  quoteLatin1, latin1ToUtf8, utf8ToLatin1, pathInfoText, scriptNameText, collectingErrors,
  type CollectingErrorStream,
} from './uri.js';
export { parseQueryString, queryParams, encodeQuery, parseContentType, parseParams } from './query.js';
export { parseForm, type ParseFormOptions } from './form.js';
export {
  parseMultipart, FormError, type FormOptions, type ParsedForm, type UploadedFile, type FilePartInfo, type FileSink,
} from './multipart.js';
export { FileWrapper } from '../file-wrapper.js';
