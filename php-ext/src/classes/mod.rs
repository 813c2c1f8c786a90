//! What PHP code sees: one file per native class or group of functions, each a thin layer
//! that checks its arguments, asks `engine/` for schemas and values and `client/` for the
//! exchange.

pub mod aggregate_root;
pub mod entity;
pub mod event;
pub mod exceptions;
pub mod info;
pub mod metrics;
pub mod query;
pub mod schema;
pub mod status;
pub mod stream;

use ext_php_rs::builders::ModuleBuilder;
use ext_php_rs::class::RegisteredClass;

use crate::engine::fixup::Natives;

/// Adds the functions and classes to the module.
pub fn register(module: ModuleBuilder) -> ModuleBuilder {
    let module = stream::register(schema::register(status::register(module)));
    let module = metrics::register(module).info_function(info::print);
    query::register(module)
        .class::<exceptions::ResidentException>()
        .class::<exceptions::ConnectionException>()
        .class::<exceptions::ConcurrencyException>()
        .class::<exceptions::NotFound>()
        .class::<exceptions::SchemaException>()
        .class::<exceptions::ProtocolException>()
        .class::<exceptions::BadRequestException>()
        .class::<exceptions::QueryException>()
        .class::<entity::Entity>()
        .class::<event::Event>()
        .class::<aggregate_root::AggregateRoot>()
}

/// The native classes, for `engine/fixup.rs` to make their objects plain engine objects.
pub fn natives() -> Natives {
    Natives {
        data: [
            entity::Entity::get_metadata().ce(),
            event::Event::get_metadata().ce(),
        ],
        aggregate_root: aggregate_root::AggregateRoot::get_metadata().ce(),
        exceptions: exceptions::all_classes(),
    }
}
