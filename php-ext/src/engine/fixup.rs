//! Makes the native classes produce ordinary engine objects.
//!
//! ext-php-rs gives every `#[php_class]` its own object layout and handlers, meant for
//! Rust state inside the object. Our classes keep no Rust state, and a custom layout
//! would cost us: entities would lose `clone`/`serialize` and pay a Rust hop on every
//! property access; exceptions would lose file, line and trace (only the engine's
//! `zend_default_exception_new` fills them); and a userland subclass whose constructor
//! skips the parent's would fail with "Failed to retrieve reference to $this".
//!
//! ext-php-rs registers classes after our MINIT hook runs, so this runs once, at the
//! first request start (RINIT), before any userland class can inherit from ours.
//! Caveat: classes preloaded by opcache.preload are linked before that and keep the
//! ext-php-rs object layout.

use std::sync::Once;

use ext_php_rs::ffi::{zend_execute_data, zval};
use ext_php_rs::flags::ClassFlags;
use ext_php_rs::zend::{ce, ClassEntry};

/// The native classes, by what the fixup does to them. `classes::natives` lists them:
/// engine/ sits below classes/ and does not name them.
pub struct Natives {
    /// `Resident\Entity` and `Resident\Event`: data, with a constructor that does nothing.
    pub data: [&'static ClassEntry; 2],
    /// `Resident\AggregateRoot`, which keeps its constructor.
    pub aggregate_root: &'static ClassEntry,
    /// The exception classes, made and constructed as `Exception` is.
    pub exceptions: [&'static ClassEntry; 8],
}

/// Fixes the classes `natives()` lists, at the first call (the first RINIT) only.
pub fn once(natives: fn() -> Natives) {
    static DONE: Once = Once::new();
    // SAFETY: RINIT runs on the engine's thread with no PHP code executing; the class
    // entries are ours and nothing has inherited from them yet.
    DONE.call_once(|| unsafe { apply(&natives()) });
}

/// A constructor that does nothing: `new SomeEntity()` is allowed and runs only
/// userland code.
unsafe extern "C" fn constructor_noop(_ex: *mut zend_execute_data, _retval: *mut zval) {}

fn entry_mut(ce: &'static ClassEntry) -> *mut ClassEntry {
    std::ptr::from_ref(ce).cast_mut()
}

unsafe fn apply(natives: &Natives) {
    unsafe {
        for ce in natives.data {
            let e = entry_mut(ce);
            (*e).__bindgen_anon_2.create_object = None;
            // Entities and events are data: caches and queues may serialize them.
            (*e).ce_flags &= !ClassFlags::NotSerializable.bits();
            if let Some(ctor) = (*e).constructor.as_mut() {
                ctor.internal_function.handler = Some(constructor_noop);
            }
        }
        // Aggregate roots keep their constructor, which throws "use ::create() or ::find()".
        (*entry_mut(natives.aggregate_root))
            .__bindgen_anon_2
            .create_object = None;

        let exception = ce::exception();
        let parent_ctor = exception.constructor;
        for ce in natives.exceptions {
            let e = entry_mut(ce);
            (*e).__bindgen_anon_2.create_object = exception.__bindgen_anon_2.create_object;
            // Behave exactly like Exception::__construct($message, $code, $previous): same
            // handler (it reads its arguments from the call frame) and same signature.
            if let (Some(ctor), Some(parent)) = ((*e).constructor.as_mut(), parent_ctor.as_ref()) {
                ctor.internal_function.handler = parent.internal_function.handler;
                ctor.internal_function.arg_info = parent.internal_function.arg_info;
                ctor.internal_function.num_args = parent.internal_function.num_args;
                ctor.internal_function.required_num_args =
                    parent.internal_function.required_num_args;
            }
        }
    }
}
