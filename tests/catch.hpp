// Includes Catch2, v3 or v2, whichever the build found.
#pragma once
#ifdef CUSTOS_CATCH3
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif
