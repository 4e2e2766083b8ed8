{
  "targets": [
    {
      "target_name": "tsgi_native",
      "sources": [
        "native/src/Addon.cc",
        "native/src/Loop.cc",
        "native/src/Connection.cc",
        "native/src/Timeouts.cc",
        "native/src/ServerTimers.cc",
        "native/src/SendFile.cc",
        "native/src/HttpParser.cc",
        "native/src/ChunkedDecoder.cc",
        "native/src/TlsContext.cc",
        "native/src/TlsSession.cc",
        "native/src/TlsConnection.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-O3", "-fno-exceptions", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags_cc!": ["-fno-rtti", "-std=gnu++17", "-std=gnu++1y", "-std=gnu++14"]
    }
  ]
}
