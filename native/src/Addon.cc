// Placeholder entry of the tsgi native addon; the engine lands with issue 4.
#include <napi.h>

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("abiVersion", Napi::Number::New(env, 1));
  return exports;
}

NODE_API_MODULE(tsgi_native, Init)
