//! Schemas of the OpenAPI document that are not a parameter type of one
//! handler: Stripe's error body, the list envelope, the deletion stub and the
//! body of a POST without parameters. They exist for the document only.

use serde::Serialize;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use crate::domain::price::UpTo;
use crate::error::ErrorType;

/// Stripe's error body: what `ApiError::body` writes.
#[derive(Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    pub error: ErrorObject,
}

/// The error object. Card errors and cascade declines carry more fields
/// (`decline_code`, `payment_intent`, `payment_method`, `cascade_status`).
#[derive(Serialize, ToSchema)]
pub struct ErrorObject {
    #[serde(rename = "type")]
    pub kind: ErrorKind,
    pub code: Option<String>,
    pub doc_url: Option<String>,
    pub message: String,
    pub param: Option<String>,
    pub decline_code: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub payment_intent: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub payment_method: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub cascade_status: Option<serde_json::Value>,
}

/// `error.type`: the wire names of `ErrorType`.
#[derive(Serialize)]
pub struct ErrorKind;

impl PartialSchema for ErrorKind {
    fn schema() -> RefOr<Schema> {
        let mut names: Vec<&str> = ErrorType::ALL.iter().map(|t| t.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        ObjectBuilder::new().schema_type(Type::String).enum_values(Some(names)).into()
    }
}

impl ToSchema for ErrorKind {}

/// A page of a list: `GET /v1/<objects>`.
#[derive(Serialize, ToSchema)]
pub struct List {
    /// Always `list`.
    #[schema(value_type = String, pattern = "^list$")]
    pub object: &'static str,
    /// The objects of this page, newest first.
    #[schema(value_type = Vec<Object>)]
    pub data: Vec<serde_json::Value>,
    pub has_more: bool,
    /// The path of the list.
    pub url: String,
}

/// What a deletion answers.
#[derive(Serialize, ToSchema)]
pub struct Deleted {
    pub id: String,
    pub object: String,
    /// Always `true`.
    pub deleted: bool,
}

/// The body of a POST that takes no parameters but `expand`.
#[derive(Serialize, ToSchema)]
#[schema(as = NoParams)]
pub struct ExpandOnly {
    pub expand: Option<Vec<String>>,
}

/// `up_to` of a tier: an integer, or `inf` for the last tier.
impl PartialSchema for UpTo {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::Integer))
            .item(ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["inf"])))
            .into()
    }
}

impl ToSchema for UpTo {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_types_are_the_ones_kassa_emits() {
        let schema = serde_json::to_value(ErrorKind::schema()).unwrap();
        let names = schema["enum"].as_array().unwrap();
        for t in ErrorType::ALL {
            assert!(names.contains(&serde_json::json!(t.as_str())), "{}", t.as_str());
        }
    }
}
