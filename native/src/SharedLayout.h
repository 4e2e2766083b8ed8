// Layout of the memory the engine shares with JavaScript (src/engines/native-protocol.ts
// mirrors every number here; change both together). JavaScript allocates the buffers and
// passes them to listen(); C++ keeps references so they never move or die early.
//
//  input   bytes   reads land here; heads and body slices are offsets into it. Valid only
//                  during one dispatch call: after it returns, the reads of other
//                  connections in the same poll phase overwrite it (JavaScript expires
//                  every head of the batch when dispatch returns; see native-server.ts).
//  events  int32   records written by C++ for one dispatch call (below); same lifetime.
//  output  bytes   response bytes written by JavaScript; C++ copies what the kernel
//                  does not take at once.
//  ops     int32   kIntsPerOp ints per op: connection id, flags, output offset, length.
//  control int32   [0] date generation, [1] count of blocked ids, [2...] blocked ids.
//  date    bytes   the IMF-fixdate of the current second (29 bytes).
#pragma once
#include <cstdint>

namespace tsgi {
namespace layout {

// Every number below is mirrored by src/engines/native-protocol.ts under the same name in
// UPPER_SNAKE_CASE without the k (kEvRequest -> EV_REQUEST); test/native/layout.test.ts
// parses this file and checks each pair. Write indexes into records only through these.

// Event records: first int is the type, second the connection id.
enum EventType : int32_t {
  kEvRequest = 1,       // request head: kRequest* fields, then kIntsPerHeader per header
  kEvBody = 2,          // body bytes: kBody* fields
  kEvOpen = 3,          // a new connection: kOpen* fields
  kEvWritable = 4,      // the output queue drained after write() said false
  kEvClosed = 5,        // the connection is gone; unfinished exchanges abort
  kEvFileDone = 6,      // a sendfile ended: kFileDone* fields
  kEvServerClosed = 7,  // graceful close finished (connection id 0)
};
constexpr int kRecordType = 0;
constexpr int kRecordConn = 1;
constexpr int kBareEventInts = 2;  // kEvWritable, kEvClosed, kEvServerClosed: type and id only

// kEvRequest. Offsets after kRequestHeadOffset are relative to the head's start.
constexpr int kRequestHeadOffset = 2;  // in the input area
constexpr int kRequestHeadLength = 3;
constexpr int kRequestMethodOffset = 4;
constexpr int kRequestMethodLength = 5;
constexpr int kRequestTargetOffset = 6;
constexpr int kRequestTargetLength = 7;
constexpr int kRequestFlags = 8;
// Body length = bodyHigh * 2^32 + bodyLow (uint32), or both -1 when chunked.
constexpr int kRequestBodyLow = 9;
constexpr int kRequestBodyHigh = 10;
constexpr int kRequestHeaderCount = 11;
constexpr int kRequestFixedInts = 12;
// Per header, kIntsPerHeader ints from kRequestFixedInts on.
constexpr int kHeaderNameOffset = 0;
constexpr int kHeaderNameLength = 1;
constexpr int kHeaderValueOffset = 2;
constexpr int kHeaderValueLength = 3;
constexpr int kIntsPerHeader = 4;
// kRequestFlags bits.
constexpr int kRequestFlagVersionMinorMask = 0xff;
constexpr int kRequestFlagKeepAlive = 1 << 8;
constexpr int kRequestFlagChunked = 1 << 9;
constexpr int kRequestFlagHead = 1 << 10;  // method is exactly HEAD

// kEvBody: a slice of the input area.
constexpr int kBodyOffset = 2;
constexpr int kBodyLength = 3;
constexpr int kBodyLast = 4;  // 1 when this slice ends the body
constexpr int kBodyInts = 5;

// kEvOpen. The address text (latin1 bytes in memory order) lives in the record itself,
// never in the input area: a dispatch forced between writing it and handing it over
// would let another connection's read overwrite it.
constexpr int kOpenRemotePort = 2;
constexpr int kOpenLocalPort = 3;
constexpr int kOpenAddressLength = 4;
constexpr int kOpenAddress = 5;
constexpr int kOpenAddressInts = 12;  // 48 bytes >= INET6_ADDRSTRLEN (46)
constexpr int kOpenInts = kOpenAddress + kOpenAddressInts;

// kEvFileDone.
constexpr int kFileDoneErrno = 2;  // 0, or the errno sendfile failed with
constexpr int kFileDoneInts = 3;

// Op flags.
enum OpFlag : int32_t {
  kOpData = 1,   // send output[offset, offset + length)
  kOpEnd = 2,    // the response of the oldest unfinished request is complete
  kOpClose = 4,  // close the connection once everything before is sent
};
// Fields of an op.
constexpr int kOpConn = 0;
constexpr int kOpFlags = 1;
constexpr int kOpOffset = 2;
constexpr int kOpLength = 3;
constexpr int kIntsPerOp = 4;

constexpr int kControlDateGeneration = 0;
constexpr int kControlBlockedCount = 1;
constexpr int kControlBlockedIds = 2;

// Control commands of the control() binding.
enum Command : int32_t { kCmdPause = 1, kCmdResume = 2, kCmdAbort = 3 };

// Connection ids: slot in the low 20 bits, a generation above, so an op written for a
// connection that closed meanwhile never reaches the connection reusing its slot.
constexpr uint32_t kSlotBits = 20;
constexpr uint32_t kSlotMask = (1u << kSlotBits) - 1;
constexpr uint32_t kGenerationMask = 0x7ff;

}  // namespace layout
}  // namespace tsgi
