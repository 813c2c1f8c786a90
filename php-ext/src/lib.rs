//! resident.so: the PHP extension of Resident.
//!
//! Pure logic (wire messages, error mapping, the socket client, schema parsing) lives in
//! modules that never touch Zend symbols, so `cargo test` can link and run them. The
//! Zend glue is compiled only outside tests.

// In test builds the glue is compiled out, so the pure helpers it uses look unused.
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
    use crate::engine::fixup;

    static INI: IniEntryDefs<3> = IniEntryDefs::new([
        IniEntryDef::new(
            c"resident.socket",
            c"/run/resident/resident.sock",
            IniEntryPermission::All,
        ),
        IniEntryDef::new(c"resident.timeout_ms", c"5000", IniEntryPermission::All),
        IniEntryDef::end(),
    ]);

    pub fn startup(_ty: i32, mod_num: i32) -> i32 {
        IniEntryDef::register(INI.as_slice(), mod_num);
        0
    }

    unsafe extern "C" fn request_startup(_ty: i32, _mod_num: i32) -> i32 {
        fixup::once(classes::natives);
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
