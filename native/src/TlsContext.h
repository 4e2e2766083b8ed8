// One SSL_CTX per listener, built from the resolved TLS options (src/tls-options.ts
// EngineTls). OpenSSL is Node's own: its headers come with Node's (node-gyp adds them),
// and the node binary exports the symbols, so nothing is linked or vendored here.
// An SSL_CTX is reference counted by OpenSSL: every SSL holds one, so swapping the
// server's context (updateTls) leaves open connections on the one they started with.
#pragma once
#include <openssl/ssl.h>

#include <cstdint>
#include <string>

namespace tsgi {

struct TlsConfig {
  std::string cert;  // PEM chain: leaf first, then intermediates
  std::string key;   // unencrypted PEM private key (PKCS#8)
  std::string ca;    // PEM CA certificates for client certificates; empty: none
  std::string ciphers;  // TLS 1.2 cipher list; empty: OpenSSL's default
  bool tls13Only = false;
  bool requestCert = false;
  bool rejectUnauthorized = true;
  uint64_t handshakeMs = 10000;  // 0: no handshake deadline
};

// Returns a new SSL_CTX (the caller owns one reference), or nullptr with *error set to
// a one-line reason. Leaves OpenSSL's thread-local error queue empty either way (Node's
// crypto shares it).
SSL_CTX* buildTlsContext(const TlsConfig& config, std::string* error);

}  // namespace tsgi
