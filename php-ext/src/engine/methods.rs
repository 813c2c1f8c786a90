//! Native methods written against the raw engine calling convention.
//!
//! Used for instance methods of classes whose objects are plain engine objects (see
//! `fixup.rs`): ext-php-rs's `&self` methods would need its own object layout.

use ext_php_rs::types::ZendObject;
use ext_php_rs::zend::ExecuteData;

use crate::client::failure::{Failure, Problem};

/// Declares `extern "C" fn $name(ex, retval)` running `$body` (returning
/// `Result<(), Failure>`) with panics caught and failures thrown as PHP exceptions.
macro_rules! native {
    ($name:ident, |$ex:ident, $retval:ident| $body:expr) => {
        extern "C" fn $name(
            $ex: &mut ::ext_php_rs::zend::ExecuteData,
            $retval: &mut ::ext_php_rs::types::Zval,
        ) {
            ::ext_php_rs::zend::run_handler(::std::panic::AssertUnwindSafe(|| {
                let result: ::std::result::Result<(), $crate::client::failure::Failure> = $body;
                if let Err(failure) = result {
                    ::ext_php_rs::exception::PhpException::from(failure).throw();
                }
            }));
        }
    };
}
pub(crate) use native;

/// `$this` of an instance method.
pub fn this(ex: &mut ExecuteData) -> Result<&mut ZendObject, Failure> {
    ex.get_self().ok_or_else(|| {
        Problem::bad_request("this method must be called on an object, not statically").into()
    })
}
