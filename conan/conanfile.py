# Conan 2 recipe for Custos. Build from the repository root:
#   conan create conan --build=missing
from conan import ConanFile
from conan.tools.cmake import CMake, CMakeDeps, CMakeToolchain, cmake_layout
from conan.tools.files import copy
import os


class CustosConan(ConanFile):
    name = "custos"
    version = "0.1.0"
    license = "Proprietary"
    description = "Purpose- and consent-aware access control for customer data"
    settings = "os", "compiler", "build_type", "arch"
    options = {"shared": [True, False], "fPIC": [True, False]}
    default_options = {"shared": False, "fPIC": True}
    exports_sources = "../CMakeLists.txt", "../cmake/*", "../include/*", "../src/*"

    def requirements(self):
        self.requires("sqlite3/[>=3.40 <4]")
        self.requires("openssl/[>=3.0 <4]")
        self.requires("nlohmann_json/[>=3.10 <4]")

    def layout(self):
        cmake_layout(self)

    def generate(self):
        CMakeDeps(self).generate()
        tc = CMakeToolchain(self)
        tc.variables["CUSTOS_BUILD_TESTS"] = False
        tc.variables["CUSTOS_BUILD_EXAMPLES"] = False
        tc.generate()

    def build(self):
        cmake = CMake(self)
        cmake.configure()
        cmake.build()

    def package(self):
        CMake(self).install()

    def package_info(self):
        self.cpp_info.libs = ["custos"]
        self.cpp_info.set_property("cmake_file_name", "custos")
        self.cpp_info.set_property("cmake_target_name", "custos::custos")
