// Byte classes of the HTTP/1.1 grammar as 256-entry tables, so the parser's hot loops
// do one load and one test per byte.
#pragma once
#include <cstdint>

namespace tsgi {

enum : uint8_t {
  kToken = 1,       // tchar, RFC 9110 §5.6.2: field names, methods, coding names
  kFieldValue = 2,  // field-vchar / SP / HTAB / obs-text, RFC 9110 §5.5
  kTarget = 4,      // request-target bytes: VCHAR except "#" (RFC 9112 §3.2; URIs are ASCII)
  kHex = 8,         // HEXDIG, RFC 5234 appendix B.1 (chunk-size, RFC 9112 §7.1)
  kQdText = 16,     // qdtext / quoted-pair payload, RFC 9110 §5.6.4 (chunk-ext values)
  kHost = 32,       // uri-host [":" port] bytes, RFC 3986 §3.2.2 (Host, RFC 9110 §7.2)
};

struct CharClassTable {
  uint8_t c[256];
  constexpr CharClassTable() : c() {
    for (int i = 0; i < 256; i++) {
      uint8_t v = 0;
      bool vchar = i >= 0x21 && i <= 0x7e;
      bool obsText = i >= 0x80;
      // tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
      //         "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
      bool alnum = (i >= '0' && i <= '9') || (i >= 'a' && i <= 'z') || (i >= 'A' && i <= 'Z');
      bool tsym = i == '!' || i == '#' || i == '$' || i == '%' || i == '&' || i == '\'' ||
                  i == '*' || i == '+' || i == '-' || i == '.' || i == '^' || i == '_' ||
                  i == '`' || i == '|' || i == '~';
      if (alnum || tsym) v |= kToken;
      if (vchar || obsText || i == ' ' || i == '\t') v |= kFieldValue;
      if (vchar && i != '#') v |= kTarget;  // a fragment is not part of request-target
      if ((i >= '0' && i <= '9') || (i >= 'a' && i <= 'f') || (i >= 'A' && i <= 'F')) v |= kHex;
      if ((vchar && i != '"' && i != '\\') || obsText || i == ' ' || i == '\t') v |= kQdText;
      // unreserved / pct-encoded / sub-delims / ":" / "[" "]" (IP-literal)
      bool hostSym = i == '-' || i == '.' || i == '_' || i == '~' || i == '%' || i == '!' ||
                     i == '$' || i == '&' || i == '\'' || i == '(' || i == ')' || i == '*' ||
                     i == '+' || i == ',' || i == ';' || i == '=' || i == ':' || i == '[' || i == ']';
      if (alnum || hostSym) v |= kHost;
      c[i] = v;
    }
  }
};

inline constexpr CharClassTable kCharClass{};

inline bool isClass(unsigned char ch, uint8_t cls) { return (kCharClass.c[ch] & cls) != 0; }

inline unsigned char asciiLower(unsigned char ch) {
  return (ch >= 'A' && ch <= 'Z') ? static_cast<unsigned char>(ch | 0x20) : ch;
}

inline int hexValue(unsigned char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  ch = asciiLower(ch);
  return ch - 'a' + 10;
}

}  // namespace tsgi
