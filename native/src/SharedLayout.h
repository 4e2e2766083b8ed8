// Layout of the memory the engine shares with JavaScript (src/engines/native-protocol.ts
// mirrors every number here; change both together). JavaScript allocates the buffers and
// passes them to listen(); C++ keeps references so they never move or die early.
//
//  input   bytes   reads land here; heads and body slices are offsets into it. Valid only
//                  during one dispatch call (the next read overwrites it).
//  events  int32   records written by C++ for one dispatch call (below).
//  output  bytes   response bytes written by JavaScript; C++ copies what the kernel
//                  does not take at once.
//  ops     int32   4 ints per op: connection id, flags, output offset, length.
//  control int32   [0] date generation, [1] count of blocked ids, [2...] blocked ids.
//  date    bytes   the IMF-fixdate of the current second (29 bytes).
#pragma once
#include <cstdint>

namespace tsgi {
namespace layout {

// Event records: first int is the type, second the connection id.
enum EventType : int32_t {
  // [1, conn, headOffset, headLength, methodOffset, methodLength, targetOffset,
  //  targetLength, flags, bodyLow, bodyHigh, headerCount, then per header
  //  nameOffset, nameLength, valueOffset, valueLength]. Offsets below headOffset are
  //  relative to it. flags: bit0-7 versionMinor, bit8 keepAlive, bit9 chunked.
  //  body length = bodyHigh * 2^32 + bodyLow (uint32), or -1 when chunked.
  kEventRequest = 1,
  kEventBody = 2,      // [2, conn, offset, length, last]
  kEventOpen = 3,      // [3, conn, addressOffset, addressLength, remotePort, localPort]
  kEventWritable = 4,  // [4, conn]: the output queue drained after write() said false
  kEventClosed = 5,    // [5, conn]: the connection is gone; unfinished exchanges abort
  kEventFileDone = 6,  // [6, conn, errno or 0]
  kEventServerClosed = 7,  // [7, 0]: graceful close finished
};
constexpr int kRequestFixedInts = 12;
constexpr int kIntsPerHeader = 4;
constexpr int kRequestFlagKeepAlive = 1 << 8;
constexpr int kRequestFlagChunked = 1 << 9;
constexpr int kRequestFlagHead = 1 << 10;  // method is exactly HEAD

// Op flags.
enum OpFlag : int32_t {
  kOpData = 1,   // send output[offset, offset + length)
  kOpEnd = 2,    // the response of the oldest unfinished request is complete
  kOpClose = 4,  // close the connection once everything before is sent
};
constexpr int kIntsPerOp = 4;

constexpr int kControlDateGeneration = 0;
constexpr int kControlBlockedCount = 1;
constexpr int kControlBlockedIds = 2;

// Control commands of the control() binding.
enum Command : int32_t { kPause = 1, kResume = 2, kAbort = 3 };

// Connection ids: slot in the low 20 bits, a generation above, so an op written for a
// connection that closed meanwhile never reaches the connection reusing its slot.
constexpr uint32_t kSlotBits = 20;
constexpr uint32_t kSlotMask = (1u << kSlotBits) - 1;
constexpr uint32_t kGenerationMask = 0x7ff;

}  // namespace layout
}  // namespace tsgi
