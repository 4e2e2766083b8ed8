// Building the listener's SSL_CTX. Choices (and why):
//  - TLS 1.2 minimum (RFC 8996 deprecates 1.0 and 1.1); minVersion may raise it to 1.3.
//  - SSL_OP_NO_RENEGOTIATION: client-initiated renegotiation is a DoS lever and HTTP/1.1
//    never needs it (RFC 7540 §9.2.1 bans it for h2 for the same reasons).
//  - SSL_OP_NO_COMPRESSION: CRIME.
//  - Session cache and tickets stay on (OpenSSL's defaults), as with nginx, so resumed
//    handshakes cost the same as there; the session id context makes resumption work
//    when client certificates are requested.
//  - ALPN (RFC 7301): only "http/1.1" is ever selected; a client that does not offer it
//    gets no ALPN extension rather than a fatal alert (it may still speak HTTP/1.1).
//  - SSL_MODE_RELEASE_BUFFERS: an idle keep-alive connection holds no record buffers.
#include "TlsContext.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstring>

namespace tsgi {
namespace {

constexpr unsigned char kHttp11[] = "http/1.1";
constexpr unsigned kHttp11Length = 8;

// RFC 7301 §3.2: the client's list is length-prefixed protocol names.
int selectAlpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned inlen, void*) {
  for (unsigned i = 0; i < inlen;) {
    unsigned n = in[i];
    if (i + 1 + n > inlen) break;
    if (n == kHttp11Length && std::memcmp(in + i + 1, kHttp11, kHttp11Length) == 0) {
      *out = in + i + 1;
      *outlen = static_cast<unsigned char>(n);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + n;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

// rejectUnauthorized false: the handshake completes whatever the client sent, and the
// verdict stays in SSL_get_verify_result for SSL_CLIENT_VERIFY (TlsSession::facts).
int acceptAnyCertificate(int, X509_STORE_CTX*) { return 1; }

// Never prompt on the terminal for a passphrase (the key arrives decrypted).
int noPassphrase(char*, int, int, void*) { return 0; }

// The reason of the newest OpenSSL error, and an empty error queue.
std::string lastError(const char* what) {
  unsigned long e = ERR_peek_last_error();
  std::string text = what;
  if (e) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    text += ": ";
    text += buf;
  }
  ERR_clear_error();
  return text;
}

struct Bio {
  BIO* bio;
  explicit Bio(const std::string& text) : bio(BIO_new_mem_buf(text.data(), int(text.size()))) {}
  ~Bio() { BIO_free(bio); }
};

bool useChain(SSL_CTX* ctx, const std::string& pem, std::string* error) {
  Bio in(pem);
  X509* leaf = in.bio ? PEM_read_bio_X509_AUX(in.bio, nullptr, noPassphrase, nullptr) : nullptr;
  if (!leaf) return *error = lastError("tls.cert: no PEM certificate"), false;
  int ok = SSL_CTX_use_certificate(ctx, leaf);
  X509_free(leaf);
  if (ok != 1) return *error = lastError("tls.cert: certificate refused"), false;
  while (X509* extra = PEM_read_bio_X509(in.bio, nullptr, noPassphrase, nullptr)) {
    if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) {  // takes ownership on success
      X509_free(extra);
      return *error = lastError("tls.cert: chain certificate refused"), false;
    }
  }
  ERR_clear_error();  // the loop ends with "no start line"
  return true;
}

bool useKey(SSL_CTX* ctx, const std::string& pem, std::string* error) {
  Bio in(pem);
  EVP_PKEY* key = in.bio ? PEM_read_bio_PrivateKey(in.bio, nullptr, noPassphrase, nullptr) : nullptr;
  if (!key) return *error = lastError("tls.key: no unencrypted PEM private key"), false;
  int ok = SSL_CTX_use_PrivateKey(ctx, key);
  EVP_PKEY_free(key);
  if (ok != 1 || SSL_CTX_check_private_key(ctx) != 1)
    return *error = lastError("tls.key: does not match the certificate"), false;
  return true;
}

bool useCa(SSL_CTX* ctx, const std::string& pem, std::string* error) {
  Bio in(pem);
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  int count = 0;
  while (X509* ca = PEM_read_bio_X509(in.bio, nullptr, noPassphrase, nullptr)) {
    // The CertificateRequest names the acceptable CAs (RFC 8446 §4.2.4).
    bool ok = X509_STORE_add_cert(store, ca) == 1 && SSL_CTX_add_client_CA(ctx, ca) == 1;
    X509_free(ca);
    if (!ok) return *error = lastError("tls.ca: certificate refused"), false;
    count++;
  }
  ERR_clear_error();
  if (!count) return *error = "tls.ca: no PEM certificate", false;
  return true;
}

}  // namespace

SSL_CTX* buildTlsContext(const TlsConfig& c, std::string* error) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) {
    *error = lastError("SSL_CTX_new");
    return nullptr;
  }
  bool ok = SSL_CTX_set_min_proto_version(ctx, c.tls13Only ? TLS1_3_VERSION : TLS1_2_VERSION) == 1;
  if (!ok) *error = lastError("tls.minVersion");
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  static const unsigned char kSessionContext[] = "tsgi";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, 4);
  SSL_CTX_set_alpn_select_cb(ctx, selectAlpn, nullptr);
  ok = ok && useChain(ctx, c.cert, error) && useKey(ctx, c.key, error);
  if (ok && !c.ciphers.empty() && SSL_CTX_set_cipher_list(ctx, c.ciphers.c_str()) != 1) {
    *error = lastError("tls.ciphers: no usable cipher");
    ok = false;
  }
  if (ok && !c.ca.empty()) ok = useCa(ctx, c.ca, error);
  if (ok && c.requestCert) {
    if (c.rejectUnauthorized) SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    else SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, acceptAnyCertificate);
  }
  ERR_clear_error();
  if (!ok) {
    SSL_CTX_free(ctx);
    return nullptr;
  }
  return ctx;
}

}  // namespace tsgi
