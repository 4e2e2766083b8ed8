// A certificate subject as mod_ssl's SSL_CLIENT_S_DN and the native engine give it:
// OpenSSL's X509_NAME_print_ex(XN_FLAG_RFC2253) (RFC 2253 §2: most specific RDN first,
// "," between RDNs, "+" between the AVAs of one RDN, special characters escaped).
//
// node:crypto's X509Certificate.subject is the same name printed by the same OpenSSL
// function with ESC_2253 | ESC_CTRL | UTF8_CONVERT | SEP_MULTILINE | FN_SN: the same
// escaping, but in certificate order, "\n" between RDNs and " + " inside one, and bytes
// above 0x7F left as UTF-8 (RFC 2253 mode writes them as \XX, ASN1_STRFLGS_ESC_MSB). A
// literal "+" or "\n" in a value is escaped in both forms ("\+", "\0A"), so the
// separators are unambiguous. (Fields OpenSSL has no name for print as a dotted OID with
// their text value here, where RFC 2253 mode dumps their DER as #hex: not reproduced.)

const NON_ASCII = /[^\x00-\x7f]+/g;

/** `X509Certificate.subject` ("O=tsgi tests\nCN=alice") → RFC 2253 ("CN=alice,O=tsgi tests"). */
export function rfc2253FromMultiline(subject: string): string {
  if (subject === '') return '';
  const rdns = subject.split('\n').map((rdn) => rdn.split(' + '));
  // XN_FLAG_DN_REV reverses the list of AVAs as a whole: RDNs, and AVAs within one.
  return rdns.reverse().map((avas) => avas.reverse().map(escapeMsb).join('+')).join(',');
}

/** ASN1_STRFLGS_ESC_MSB: each UTF-8 byte above 0x7F as \XX (upper-case hex). */
function escapeMsb(ava: string): string {
  return ava.replace(NON_ASCII, (text) => {
    let out = '';
    for (const byte of Buffer.from(text, 'utf8')) out += '\\' + byte.toString(16).toUpperCase().padStart(2, '0');
    return out;
  });
}
