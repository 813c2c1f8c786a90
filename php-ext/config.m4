dnl resident.so is Rust (ext-php-rs), built by cargo. This file and Makefile.frag let the
dnl usual phpize, ./configure, make, make install (what PIE runs) build and install it:
dnl `make` runs cargo against the PHP that ./configure was given (--with-php-config).
AC_PATH_PROG([CARGO], [cargo], [no], [$PATH:$HOME/.cargo/bin])
if test "$CARGO" = "no"; then
  AC_MSG_ERROR([cargo not found: install Rust (https://rustup.rs), then run configure again])
fi
dnl ext-php-rs takes php-config from PHP_CONFIG, as an absolute path only.
RESIDENT_PHP_CONFIG=`command -v "$PHP_CONFIG"`
PHP_SUBST([CARGO])
PHP_SUBST([RESIDENT_PHP_CONFIG])
PHP_ADD_MAKEFILE_FRAGMENT([$abs_srcdir/Makefile.frag], [$abs_srcdir], [$abs_builddir])
