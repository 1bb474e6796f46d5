// The version of this Custos build.
//
// Thread-safety: constants only.
#ifndef CUSTOS_VERSION_HPP
#define CUSTOS_VERSION_HPP

#define CUSTOS_VERSION_MAJOR 0
#define CUSTOS_VERSION_MINOR 1
#define CUSTOS_VERSION_PATCH 0
#define CUSTOS_VERSION_STRING "0.1.0"

#endif  // CUSTOS_VERSION_HPP
