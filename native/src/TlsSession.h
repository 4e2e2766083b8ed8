// One connection's TLS state: an SSL object between two memory BIOs. Ciphertext read
// from the socket goes in (feed), plaintext comes out (read) for the unchanged HTTP
// reader; plaintext responses go in (write) and ciphertext comes out (takeOutput) for
// the connection's output queue. OpenSSL never touches the socket, so nothing here
// blocks the loop: a handshake advances only as the client's bytes arrive.
#pragma once
#include <openssl/ssl.h>

#include <cstddef>
#include <string>

namespace tsgi {

class TlsSession {
 public:
  enum class Status { Ok, WantRead, Closed, Failed };

  TlsSession() = default;
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;
  ~TlsSession();

  bool init(SSL_CTX* ctx);  // false: out of memory
  void feed(const char* data, size_t length);  // ciphertext from the client
  Status handshake();                          // Ok once established
  // Plaintext into buf: *n bytes (Ok), or WantRead / Closed (close_notify) / Failed.
  Status read(char* buf, size_t capacity, size_t* n);
  bool write(const char* data, size_t length);  // false: the session failed
  void shutdown();                              // queue close_notify
  size_t outputPending() const;
  size_t takeOutput(char* buf, size_t capacity);  // ciphertext for the socket
  // Ciphertext received but not yet decrypted, or plaintext decrypted but not yet read.
  bool inputPending() const;

  bool established() const { return established_; }
  bool failed() const { return failed_; }
  void markFailed() { failed_ = true; }
  bool sawFirstByte = false;  // the plain-HTTP check ran (TlsConnection.cc)

  // RequestHead.tls (src/contract.ts TlsFacts): protocol, cipher, the client
  // certificate's subject (RFC 2253, XN_FLAG_RFC2253: most specific RDN first) and
  // mod_ssl's SSL_CLIENT_VERIFY.
  // clientCertRequested: the context asked for a client certificate (requestCert).
  void facts(std::string* protocol, std::string* cipher, std::string* subject, bool* hasSubject,
             std::string* verify, bool* clientCertRequested) const;

 private:
  Status failure();
  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;   // owned by ssl_ once set
  BIO* out_ = nullptr;  // owned by ssl_ once set
  bool established_ = false;
  bool shutdownSent_ = false;
  bool failed_ = false;
};

}  // namespace tsgi
