//! The routes and their document from one declaration, with the document built only when asked.
//!
//! [`routes!`] is utoipa-axum's macro of that name, except that a handler's OpenAPI operation
//! and the schemas it names are built only inside [`documented`]. Serving needs each handler's
//! path and methods, nothing more; building every operation at start-up ran the code of every
//! schema and example in the binary and kept their pages resident in an idle process. The
//! document (`/openapi.json`, the tests) builds the same routers again inside [`documented`].

use std::cell::Cell;

thread_local! {
    static DOCUMENTING: Cell<bool> = const { Cell::new(false) };
}

/// Whether the routers being built on this thread are built for the document.
pub fn documenting() -> bool {
    DOCUMENTING.with(Cell::get)
}

/// `build` with each handler's operation and schemas (router building is synchronous, so the
/// flag of this thread covers exactly it).
pub fn documented<T>(build: impl FnOnce() -> T) -> T {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            DOCUMENTING.with(|d| d.set(self.0));
        }
    }
    let _reset = Reset(DOCUMENTING.with(|d| d.replace(true)));
    build()
}

/// `routes!(handler, …)`: the handlers of one path, for `OpenApiRouter::routes`.
macro_rules! routes {
    ( $( $handler:ident ),+ $(,)? ) => {{
        #[allow(unused_imports)]
        use utoipa::{Path as _, __dev::{SchemaReferences as _, Tags as _}};
        use utoipa_axum::PathItemExt as _;
        let mut paths = utoipa::openapi::path::Paths::new();
        let mut schemas = Vec::<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>::new();
        let mut method_router = axum::routing::MethodRouter::new();
        $(
            utoipa_axum::paste! {
                let path = [<__path_ $handler>]::path();
                let types = [<__path_ $handler>]::methods();
                let operation = if $crate::openapi::lazy::documenting() {
                    let mut operation = [<__path_ $handler>]::operation();
                    let tags = [<__path_ $handler>]::tags();
                    [<__path_ $handler>]::schemas(&mut schemas);
                    if !tags.is_empty() {
                        operation.tags.get_or_insert_with(Vec::new).extend(tags.iter().map(ToString::to_string));
                    }
                    operation
                } else {
                    utoipa::openapi::path::Operation::new()
                };
            }
            method_router = types.iter().fold(method_router, |router, method| router.on(method.to_method_filter(), $handler));
            paths.add_path_operation(&path, types, operation);
        )+
        (schemas, paths, method_router)
    }};
}

pub(crate) use routes;
