// TlsSession: OpenSSL driven through memory BIOs. Every failing call clears OpenSSL's
// thread-local error queue before returning: Node's own crypto shares it, and a stale
// entry there would surface as someone else's error.
#include "TlsSession.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <climits>

namespace tsgi {

TlsSession::~TlsSession() {
  if (ssl_) SSL_free(ssl_);  // frees both BIOs
}

bool TlsSession::init(SSL_CTX* ctx) {
  ssl_ = SSL_new(ctx);
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  if (!ssl_ || !in_ || !out_) {
    if (in_) BIO_free(in_);
    if (out_) BIO_free(out_);
    in_ = out_ = nullptr;
    ERR_clear_error();
    return false;
  }
  // An empty memory BIO reports "retry later", not end of file.
  BIO_set_mem_eof_return(in_, -1);
  BIO_set_mem_eof_return(out_, -1);
  SSL_set_bio(ssl_, in_, out_);
  SSL_set_accept_state(ssl_);
  return true;
}

void TlsSession::feed(const char* data, size_t length) {
  while (length) {
    int chunk = length > INT_MAX ? INT_MAX : int(length);
    int n = BIO_write(in_, data, chunk);
    if (n <= 0) {
      ERR_clear_error();
      return;
    }
    data += n;
    length -= size_t(n);
  }
}

TlsSession::Status TlsSession::failure() {
  failed_ = true;
  ERR_clear_error();
  return Status::Failed;
}

TlsSession::Status TlsSession::handshake() {
  if (established_) return Status::Ok;
  if (failed_) return Status::Failed;
  int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    established_ = true;
    return Status::Ok;
  }
  int e = SSL_get_error(ssl_, r);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return Status::WantRead;
  return failure();  // the alert OpenSSL chose is in the output BIO
}

TlsSession::Status TlsSession::read(char* buf, size_t capacity, size_t* n) {
  *n = 0;
  if (failed_) return Status::Failed;
  int r = SSL_read(ssl_, buf, capacity > INT_MAX ? INT_MAX : int(capacity));
  if (r > 0) {
    *n = size_t(r);
    return Status::Ok;
  }
  int e = SSL_get_error(ssl_, r);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return Status::WantRead;
  if (e == SSL_ERROR_ZERO_RETURN) return Status::Closed;
  return failure();
}

bool TlsSession::write(const char* data, size_t length) {
  if (failed_) return false;
  while (length) {
    int chunk = length > INT_MAX ? INT_MAX : int(length);
    int r = SSL_write(ssl_, data, chunk);
    if (r <= 0) {
      failure();
      return false;
    }
    data += r;
    length -= size_t(r);
  }
  return true;
}

void TlsSession::shutdown() {
  if (!established_ || failed_ || shutdownSent_) return;
  shutdownSent_ = true;
  if (SSL_shutdown(ssl_) < 0) ERR_clear_error();
}

size_t TlsSession::outputPending() const { return BIO_ctrl_pending(out_); }

size_t TlsSession::takeOutput(char* buf, size_t capacity) {
  int n = BIO_read(out_, buf, capacity > INT_MAX ? INT_MAX : int(capacity));
  return n > 0 ? size_t(n) : 0;
}

bool TlsSession::inputPending() const { return BIO_ctrl_pending(in_) > 0 || SSL_pending(ssl_) > 0; }

void TlsSession::facts(std::string* protocol, std::string* cipher, std::string* subject, bool* hasSubject,
                       std::string* verify, bool* clientCertRequested) const {
  *clientCertRequested = (SSL_get_verify_mode(ssl_) & SSL_VERIFY_PEER) != 0;
  *protocol = SSL_get_version(ssl_);
  const SSL_CIPHER* c = SSL_get_current_cipher(ssl_);
  *cipher = c ? SSL_CIPHER_get_name(c) : "";
  *hasSubject = false;
  subject->clear();
  X509* peer = SSL_get1_peer_certificate(ssl_);
  if (!peer) {
    *verify = "NONE";
    return;
  }
  if (BIO* b = BIO_new(BIO_s_mem())) {
    if (X509_NAME_print_ex(b, X509_get_subject_name(peer), 0, XN_FLAG_RFC2253) >= 0) {
      char* data = nullptr;
      long length = BIO_get_mem_data(b, &data);
      if (data && length > 0) subject->assign(data, size_t(length));
      *hasSubject = true;
    }
    BIO_free(b);
  }
  X509_free(peer);
  long result = SSL_get_verify_result(ssl_);
  *verify = result == X509_V_OK ? "SUCCESS" : std::string("FAILED:") + X509_verify_cert_error_string(result);
  ERR_clear_error();
}

}  // namespace tsgi
