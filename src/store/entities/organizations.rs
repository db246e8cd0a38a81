use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organizations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    pub status: super::users::AccountStatus,
    pub branding: Option<String>,
    pub mfa_required: bool,
    /// Set by platform owners; carried in its users' tokens as `plan`.
    pub plan: Option<String>,
    /// JSON array of feature names (`features` claim).
    pub features: String,
    /// Who may create an account from this organization's sign-in pages.
    pub sign_up_policy: SignUpPolicy,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    pub fn is_active(&self) -> bool {
        self.status == super::users::AccountStatus::Active
    }
}

/// Who may create an account on the sign-in pages of an organization's services.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum SignUpPolicy {
    /// Anyone may register.
    #[sea_orm(string_value = "open")]
    Open,
    /// Only people the organization's admins invite (who then have an account).
    #[sea_orm(string_value = "invite_only")]
    InviteOnly,
}

impl SignUpPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            SignUpPolicy::Open => "open",
            SignUpPolicy::InviteOnly => "invite_only",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "open" => Some(SignUpPolicy::Open),
            "invite_only" => Some(SignUpPolicy::InviteOnly),
            _ => None,
        }
    }
}
