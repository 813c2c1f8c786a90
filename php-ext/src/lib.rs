//! resident.so: the PHP extension of Resident.
//!
//! # Layout
//!
//! Three folders; each uses only the ones below it.
//!
//! - `classes/`: what PHP code sees, one file per native class or group of functions
//!   (`Resident\Entity`, `Event`, `AggregateRoot`, the exceptions, `Resident\query()`,
//!   `register()`, `read()`, `stats()`, `snapshot()`, `ping()` and `metrics()`), and the
//!   `phpinfo()` section.
//! - `engine/`: the Zend plumbing: objects and properties, PHP values ⇄ CBOR, answers
//!   into zvals, calls into php-lib (schema registry, query builder), native-method
//!   wrappers and the fixup that makes the native classes' objects plain engine objects.
//! - `client/`: pure Rust: framing, the streaming CBOR reader, the connection and the
//!   process's client (waiting for a restart, fork safety, counters), failures, request
//!   bodies, schema answers, field slots, and the rules for values sent.
//!
//! Only `client/` is compiled into `cargo test`: a test binary that touches Zend symbols
//! does not link, so `classes/` and `engine/` are tested from PHP (php-ext/tests, tests/).
//! This file holds the php.ini entries and the module's hooks.
//!
//! # A call
//!
//! `Account::find($id)`:
//! 1. `classes/entity.rs` takes the called class (`App\Account`, late static binding);
//! 2. `engine/registry.rs` asks php-lib for its schema (once per class and connection);
//! 3. `client/process.rs` registers that schema if this connection has not, sends `find`
//!    and, if the socket broke, reconnects (waiting for a restarting server) and resends;
//! 4. `engine/decode.rs` reads the answer's bytes straight into an `App\Account` object.

// In test builds classes/ and engine/ are compiled out, so what only they use of client/
// looks unused.
#![cfg_attr(test, allow(dead_code))]

#[cfg(not(test))]
mod classes;
mod client;
#[cfg(not(test))]
mod engine;

#[cfg(not(test))]
mod module {
    use ext_php_rs::flags::IniEntryPermission;
    use ext_php_rs::prelude::*;
    use ext_php_rs::zend::{IniEntryDef, IniEntryDefs};

    use crate::classes;
    use crate::client::metrics;
    use crate::engine::fixup;

    // The defaults are those of client/settings.rs, which also applies them when a value
    // is empty or unreadable.
    static INI: IniEntryDefs<4> = IniEntryDefs::new([
        IniEntryDef::new(
            c"resident.socket",
            c"/run/resident/resident.sock",
            IniEntryPermission::All,
        ),
        IniEntryDef::new(c"resident.timeout_ms", c"5000", IniEntryPermission::All),
        IniEntryDef::new(
            c"resident.reconnect_wait_ms",
            c"2000",
            IniEntryPermission::All,
        ),
        IniEntryDef::end(),
    ]);

    pub fn startup(_ty: i32, mod_num: i32) -> i32 {
        IniEntryDef::register(INI.as_slice(), mod_num);
        0
    }

    unsafe extern "C" fn request_startup(_ty: i32, _mod_num: i32) -> i32 {
        fixup::once(classes::natives);
        metrics::request_started();
        0
    }

    #[php_module]
    #[php(startup = "startup")]
    pub fn module(module: ModuleBuilder) -> ModuleBuilder {
        // The name PHP knows the extension by (extension_loaded('resident'), php -m);
        // without it, ext-php-rs would use the crate name.
        classes::register(module.name("resident")).request_startup_function(request_startup)
    }
}
