{
  # Two addons from one directory. autotracer_native is the production libbpf binding;
  # autotracer_test is loaded only by tests (it can crash the process on purpose).
  # The sources are built by `node scripts/build.mjs addon` (node-gyp rebuild --nodedir=/usr).
  "target_defaults": {
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
    # NODE_ADDON_API_CPP_EXCEPTIONS_ALL: node-addon-api's callback wrappers also catch
    # std::exception (std::bad_alloc from a vector) and turn it into a JS Error, where
    # otherwise it would reach std::terminate and abort the whole agent.
    "defines": ["NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_CPP_EXCEPTIONS_ALL", "NAPI_VERSION=8"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
    "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"]
  },
  "targets": [
    {
      "target_name": "autotracer_native",
      "sources": [
        "addon/addon.cc",
        "addon/bpf_error.cc",
        "addon/bpf_object.cc",
        "addon/libbpf_log.cc",
        "addon/map_ops.cc",
        "addon/perf_event.cc",
        "addon/ring_consumer.cc"
      ],
      "libraries": ["-lbpf", "-lelf", "-lz"]
    },
    {
      "target_name": "autotracer_test",
      "sources": ["addon/test_addon.cc"]
    }
  ]
}
