//! The Zend plumbing: objects and properties, PHP values ⇄ CBOR, answers into zvals,
//! php-lib's schema registry, native-method wrappers and the object-layout fixup. Compiled
//! only outside tests (a test binary that touches Zend symbols does not link); tested from
//! PHP.

pub mod builder;
pub mod call;
pub mod convert;
pub mod decode;
pub mod fixup;
pub mod methods;
pub mod objects;
pub mod php_lib;
pub mod registry;
