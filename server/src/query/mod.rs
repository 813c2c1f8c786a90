//! The `query` operation, pure: parsing and checking a query against the schema
//! ([`parse`]), choosing how to walk the state ([`plan`]), the filter and `like`
//! matching rows ([`filter`], [`like`]), and running the plan into answer fields
//! ([`run`]). Reads one state version; imports the state layer and below.

pub mod filter;
pub mod like;
pub mod parse;
pub mod plan;
pub mod run;
