//! Identity, as Camunda 7's database identity service keeps it: users with a
//! password, groups, tenants, and who belongs where (migration 0011).
//!
//! Passwords are kept only as argon2id hashes (a PHC string with its own random
//! salt). Hashing and verifying cost tens of milliseconds by design, so they run
//! outside the writer: a new password is hashed before its command is queued, and
//! [`Engine::verify_password`] reads the hash on the read pool and checks it on a
//! blocking thread. An unknown user, a user without a password and a wrong
//! password all answer `false`, after the same work.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rusqlite::{Connection, OptionalExtension, params};

use crate::Engine;
use crate::error::{Error, Result};
use crate::query::Filter;

/// The group whose members may do anything, in every tenant, as Camunda's
/// `camunda-admin` group.
pub const ADMIN_GROUP: &str = "camunda-admin";

/// Who a request comes from, once authenticated: the user, every group they
/// belong to, and every tenant they belong to (themselves or through a group).
/// Authorization checks and tenant checks read it; see [`Engine::principal`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Principal {
    /// The user's id.
    pub user_id: String,
    /// The ids of the user's groups, sorted.
    pub groups: Vec<String>,
    /// The ids of the user's tenants, sorted.
    pub tenants: Vec<String>,
}

impl Principal {
    /// Whether the user is in [`ADMIN_GROUP`]: no authorization or tenant check
    /// applies to them.
    pub fn is_admin(&self) -> bool {
        self.groups.iter().any(|g| g == ADMIN_GROUP)
    }
}

/// A user's profile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct User {
    /// The user's id (the login name).
    pub id: String,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
}

/// A group of users.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Group {
    /// The group's id.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// Its type (Camunda's `SYSTEM` or `WORKFLOW`, or anything).
    pub kind: Option<String>,
}

/// A tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tenant {
    /// The tenant's id.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
}

/// Filters and page of a user list (Camunda's `GET /user`), by id.
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    /// What the asking user may see (see [`crate::authz::Scope`]); `None` for
    /// everything.
    pub scope: Option<crate::authz::Scope>,
    /// This user.
    pub id: Option<String>,
    /// One of these users.
    pub ids: Vec<String>,
    /// With this first name.
    pub first_name: Option<String>,
    /// With this last name.
    pub last_name: Option<String>,
    /// With this e-mail address.
    pub email: Option<String>,
    /// With a first name `LIKE` this.
    pub first_name_like: Option<String>,
    /// With a last name `LIKE` this.
    pub last_name_like: Option<String>,
    /// With an e-mail address `LIKE` this.
    pub email_like: Option<String>,
    /// Sort by this Camunda `sortBy` key (`userId`, `firstName`, `lastName`, `email`), descending when true;
    /// by id otherwise.
    pub sort: Option<(String, bool)>,
    /// Members of this group.
    pub member_of_group: Option<String>,
    /// Members of this tenant (themselves, not through a group).
    pub member_of_tenant: Option<String>,
    /// Skip this many.
    pub first_result: usize,
    /// Return at most this many.
    pub max_results: Option<usize>,
}

/// Filters and page of a group list (Camunda's `GET /group`), by id.
#[derive(Debug, Clone, Default)]
pub struct GroupQuery {
    /// What the asking user may see (see [`crate::authz::Scope`]); `None` for
    /// everything.
    pub scope: Option<crate::authz::Scope>,
    /// This group.
    pub id: Option<String>,
    /// One of these groups.
    pub ids: Vec<String>,
    /// Named this.
    pub name: Option<String>,
    /// With a name `LIKE` this.
    pub name_like: Option<String>,
    /// Of this type.
    pub kind: Option<String>,
    /// That this user is a member of.
    pub member: Option<String>,
    /// Members of this tenant.
    pub member_of_tenant: Option<String>,
    /// Sort by this Camunda `sortBy` key (`id`, `name`, `type`), descending when true;
    /// by id otherwise.
    pub sort: Option<(String, bool)>,
    /// Skip this many.
    pub first_result: usize,
    /// Return at most this many.
    pub max_results: Option<usize>,
}

/// Filters and page of a tenant list (Camunda's `GET /tenant`), by id.
#[derive(Debug, Clone, Default)]
pub struct TenantQuery {
    /// What the asking user may see (see [`crate::authz::Scope`]); `None` for
    /// everything.
    pub scope: Option<crate::authz::Scope>,
    /// This tenant.
    pub id: Option<String>,
    /// One of these tenants.
    pub ids: Vec<String>,
    /// Named this.
    pub name: Option<String>,
    /// With a name `LIKE` this.
    pub name_like: Option<String>,
    /// With this user as a member, itself (or, with `include_membership_groups`,
    /// through one of its groups).
    pub user_member: Option<String>,
    /// With this group as a member.
    pub group_member: Option<String>,
    /// With `user_member`, tenants of the user's groups too.
    pub include_membership_groups: bool,
    /// Sort by this Camunda `sortBy` key (`id`, `name`), descending when true;
    /// by id otherwise.
    pub sort: Option<(String, bool)>,
    /// Skip this many.
    pub first_result: usize,
    /// Return at most this many.
    pub max_results: Option<usize>,
}

/// A hash of a password to store, made with argon2id and a fresh random salt.
fn hash(password: &str) -> Result<String> {
    let salt = SaltString::encode_b64(uuid::Uuid::new_v4().as_bytes())
        .map_err(|e| Error::Internal(format!("cannot make a salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("cannot hash a password: {e}")))
}

/// A well-formed hash of a password nobody has, checked when there is no stored
/// hash, so that an unknown user costs what a wrong password costs.
const DECOY: &str = "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$\
     pq/kDUtbUfQ/9UMJGk+SF98xkx5RZLgzkF6lbmPO0jA";

/// Whether `password` matches the stored `hash` (or, with none, the decoy, and
/// then never).
fn verify(password: &str, stored: Option<&str>) -> bool {
    let phc = stored.unwrap_or(DECOY);
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let ok = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    ok && stored.is_some()
}

fn need_id(kind: &str, id: &str) -> Result<()> {
    if id.trim().is_empty() {
        return Err(Error::Invalid(format!("{kind} id must not be empty")));
    }
    Ok(())
}

fn exists(c: &Connection, table: &str, id: &str) -> Result<bool> {
    Ok(c.prepare_cached(&format!(
        "SELECT EXISTS (SELECT 1 FROM {table} WHERE id = ?1)"
    ))?
    .query_row([id], |r| r.get(0))?)
}

impl Engine {
    /// Creates user `user` with `password` (hashed with argon2id; `None` leaves the
    /// user unable to log in with a password).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for an empty id or a user that exists already.
    pub async fn create_user(&self, user: User, password: Option<&str>) -> Result<()> {
        need_id("User", &user.id)?;
        let hashed = match password {
            Some(p) => {
                let p = p.to_owned();
                Some(blocking(move || hash(&p)).await?)
            }
            None => None,
        };
        self.identity_command(move |ctx| {
            if exists(ctx.conn, "id_user", &user.id)? {
                return Err(Error::Invalid(format!(
                    "The user with id '{}' already exists.",
                    user.id
                )));
            }
            ctx.conn
                .prepare_cached(
                    "INSERT INTO id_user (id, first_name, last_name, email, password_hash) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![
                    user.id,
                    user.first_name,
                    user.last_name,
                    user.email,
                    hashed
                ])?;
            Ok(())
        })
        .await
    }

    /// Replaces user `id`'s profile (its id may change with it, as in Camunda).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown user.
    pub async fn update_user(&self, id: &str, profile: User) -> Result<()> {
        need_id("User", &profile.id)?;
        let id = id.to_owned();
        self.identity_command(move |ctx| {
            let changed = ctx
                .conn
                .prepare_cached(
                    "UPDATE id_user SET id = ?2, first_name = ?3, last_name = ?4, email = ?5 \
                     WHERE id = ?1",
                )?
                .execute(params![
                    id,
                    profile.id,
                    profile.first_name,
                    profile.last_name,
                    profile.email
                ])?;
            if changed == 0 {
                return Err(Error::NotFound(format!("User with id {id} does not exist")));
            }
            if profile.id != id {
                for table in ["id_membership", "id_tenant_member"] {
                    ctx.conn
                        .prepare_cached(&format!(
                            "UPDATE {table} SET user_id = ?2 WHERE user_id = ?1"
                        ))?
                        .execute(params![id, profile.id])?;
                }
            }
            Ok(())
        })
        .await
    }

    /// Sets user `id`'s password.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown user.
    pub async fn set_password(&self, id: &str, password: &str) -> Result<()> {
        let p = password.to_owned();
        let hashed = blocking(move || hash(&p)).await?;
        let id = id.to_owned();
        self.identity_command(move |ctx| {
            let changed = ctx
                .conn
                .prepare_cached("UPDATE id_user SET password_hash = ?2 WHERE id = ?1")?
                .execute(params![id, hashed])?;
            if changed == 0 {
                return Err(Error::NotFound(format!("User with id {id} does not exist")));
            }
            Ok(())
        })
        .await
    }

    /// Deletes user `id` and its memberships; an unknown user changes nothing.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn delete_user(&self, id: &str) -> Result<()> {
        let id = id.to_owned();
        self.identity_command(move |ctx| {
            for sql in [
                "DELETE FROM id_user WHERE id = ?1",
                "DELETE FROM id_membership WHERE user_id = ?1",
                "DELETE FROM id_tenant_member WHERE user_id = ?1",
            ] {
                ctx.conn.prepare_cached(sql)?.execute([&id])?;
            }
            Ok(())
        })
        .await
    }

    /// User `id`, if it exists.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn user(&self, id: &str) -> Result<Option<User>> {
        let id = id.to_owned();
        self.read(move |c| {
            Ok(c.prepare_cached(
                "SELECT id, first_name, last_name, email FROM id_user WHERE id = ?1",
            )?
            .query_row([&id], user_from)
            .optional()?)
        })
        .await
    }

    /// The users `q` asks for, by id.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn users(&self, q: UserQuery) -> Result<Vec<User>> {
        self.read(move |c| {
            page_of(
                c,
                user_filter(&q),
                "SELECT id, first_name, last_name, email FROM id_user",
                (
                    &q.sort,
                    &[
                        ("userId", "id"),
                        ("firstName", "first_name"),
                        ("lastName", "last_name"),
                        ("email", "email"),
                    ],
                ),
                q.first_result,
                q.max_results,
                user_from,
            )
        })
        .await
    }

    /// How many users `q` finds (its page ignored).
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn user_count(&self, q: UserQuery) -> Result<u64> {
        self.read(move |c| Ok(user_filter(&q).count(c, "id_user")? as u64))
            .await
    }

    /// Whether `password` is user `id`'s. An unknown user, one without a password
    /// and a wrong password all answer `false`, after the same work; the check
    /// compares in constant time (argon2's).
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn verify_password(&self, id: &str, password: &str) -> Result<bool> {
        let id = id.to_owned();
        let stored: Option<String> = self
            .read(move |c| {
                Ok(
                    c.prepare_cached("SELECT password_hash FROM id_user WHERE id = ?1")?
                        .query_row([&id], |r| r.get::<_, Option<String>>(0))
                        .optional()?
                        .flatten(),
                )
            })
            .await?;
        let password = password.to_owned();
        blocking(move || Ok(verify(&password, stored.as_deref()))).await
    }

    /// Creates group `group`.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for an empty id or a group that exists already.
    pub async fn create_group(&self, group: Group) -> Result<()> {
        need_id("Group", &group.id)?;
        self.identity_command(move |ctx| {
            if exists(ctx.conn, "id_group", &group.id)? {
                return Err(Error::Invalid(format!(
                    "The group with id '{}' already exists.",
                    group.id
                )));
            }
            ctx.conn
                .prepare_cached("INSERT INTO id_group (id, name, type) VALUES (?1, ?2, ?3)")?
                .execute(params![group.id, group.name, group.kind])?;
            Ok(())
        })
        .await
    }

    /// Deletes group `id` and its memberships; an unknown group changes nothing.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn delete_group(&self, id: &str) -> Result<()> {
        let id = id.to_owned();
        self.identity_command(move |ctx| {
            for sql in [
                "DELETE FROM id_group WHERE id = ?1",
                "DELETE FROM id_membership WHERE group_id = ?1",
                "DELETE FROM id_tenant_member WHERE group_id = ?1",
            ] {
                ctx.conn.prepare_cached(sql)?.execute([&id])?;
            }
            Ok(())
        })
        .await
    }

    /// The groups `q` asks for, by id.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn groups(&self, q: GroupQuery) -> Result<Vec<Group>> {
        self.read(move |c| {
            page_of(
                c,
                group_filter(&q),
                "SELECT id, name, type FROM id_group",
                (&q.sort, &[("id", "id"), ("name", "name"), ("type", "type")]),
                q.first_result,
                q.max_results,
                |r| {
                    Ok(Group {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        kind: r.get(2)?,
                    })
                },
            )
        })
        .await
    }

    /// How many groups `q` finds (its page ignored).
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn group_count(&self, q: GroupQuery) -> Result<u64> {
        self.read(move |c| Ok(group_filter(&q).count(c, "id_group")? as u64))
            .await
    }

    /// The ids of the groups user `user` is a member of.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn groups_of(&self, user: &str) -> Result<Vec<String>> {
        Ok(self
            .groups(GroupQuery {
                member: Some(user.to_owned()),
                ..GroupQuery::default()
            })
            .await?
            .into_iter()
            .map(|g| g.id)
            .collect())
    }

    /// Replaces group `id`'s name and type.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown group.
    pub async fn update_group(&self, id: &str, group: Group) -> Result<()> {
        let id = id.to_owned();
        self.identity_command(move |ctx| {
            let changed = ctx
                .conn
                .prepare_cached("UPDATE id_group SET name = ?2, type = ?3 WHERE id = ?1")?
                .execute(params![id, group.name, group.kind])?;
            if changed == 0 {
                return Err(Error::NotFound(format!(
                    "Group with id {id} does not exist"
                )));
            }
            Ok(())
        })
        .await
    }

    /// Makes user `user` a member of group `group` (again: no change).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the user or the group does not exist.
    pub async fn add_group_member(&self, group: &str, user: &str) -> Result<()> {
        let (group, user) = (group.to_owned(), user.to_owned());
        self.identity_command(move |ctx| {
            if !exists(ctx.conn, "id_group", &group)? {
                return Err(Error::NotFound(format!("No group found with id '{group}'")));
            }
            if !exists(ctx.conn, "id_user", &user)? {
                return Err(Error::NotFound(format!("No user found with id '{user}'")));
            }
            ctx.conn
                .prepare_cached(
                    "INSERT OR IGNORE INTO id_membership (user_id, group_id) VALUES (?1, ?2)",
                )?
                .execute(params![user, group])?;
            Ok(())
        })
        .await
    }

    /// Takes user `user` out of group `group` (not a member: no change).
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn remove_group_member(&self, group: &str, user: &str) -> Result<()> {
        let (group, user) = (group.to_owned(), user.to_owned());
        self.identity_command(move |ctx| {
            ctx.conn
                .prepare_cached("DELETE FROM id_membership WHERE user_id = ?1 AND group_id = ?2")?
                .execute(params![user, group])?;
            Ok(())
        })
        .await
    }

    /// Creates tenant `tenant`.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for an empty id or a tenant that exists already.
    pub async fn create_tenant(&self, tenant: Tenant) -> Result<()> {
        need_id("Tenant", &tenant.id)?;
        self.identity_command(move |ctx| {
            if exists(ctx.conn, "id_tenant", &tenant.id)? {
                return Err(Error::Invalid(format!(
                    "The tenant with id '{}' already exists.",
                    tenant.id
                )));
            }
            ctx.conn
                .prepare_cached("INSERT INTO id_tenant (id, name) VALUES (?1, ?2)")?
                .execute(params![tenant.id, tenant.name])?;
            Ok(())
        })
        .await
    }

    /// The tenants `q` asks for, by id.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn tenants(&self, q: TenantQuery) -> Result<Vec<Tenant>> {
        self.read(move |c| {
            page_of(
                c,
                tenant_filter(&q),
                "SELECT id, name FROM id_tenant",
                (&q.sort, &[("id", "id"), ("name", "name")]),
                q.first_result,
                q.max_results,
                |r| {
                    Ok(Tenant {
                        id: r.get(0)?,
                        name: r.get(1)?,
                    })
                },
            )
        })
        .await
    }

    /// How many tenants `q` finds (its page ignored).
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn tenant_count(&self, q: TenantQuery) -> Result<u64> {
        self.read(move |c| Ok(tenant_filter(&q).count(c, "id_tenant")? as u64))
            .await
    }

    /// Renames tenant `id`.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown tenant.
    pub async fn update_tenant(&self, id: &str, name: Option<String>) -> Result<()> {
        let id = id.to_owned();
        self.identity_command(move |ctx| {
            let changed = ctx
                .conn
                .prepare_cached("UPDATE id_tenant SET name = ?2 WHERE id = ?1")?
                .execute(params![id, name])?;
            if changed == 0 {
                return Err(Error::NotFound(format!(
                    "Tenant with id {id} does not exist"
                )));
            }
            Ok(())
        })
        .await
    }

    /// Deletes tenant `id` and its memberships; an unknown tenant changes nothing.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn delete_tenant(&self, id: &str) -> Result<()> {
        let id = id.to_owned();
        self.identity_command(move |ctx| {
            for sql in [
                "DELETE FROM id_tenant WHERE id = ?1",
                "DELETE FROM id_tenant_member WHERE tenant_id = ?1",
            ] {
                ctx.conn.prepare_cached(sql)?.execute([&id])?;
            }
            Ok(())
        })
        .await
    }

    /// Takes a user (`user`) or a group (`group`) out of tenant `tenant` (not a
    /// member: no change).
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn remove_tenant_member(
        &self,
        tenant: &str,
        user: Option<&str>,
        group: Option<&str>,
    ) -> Result<()> {
        let (tenant, user, group) = (
            tenant.to_owned(),
            user.map(str::to_owned),
            group.map(str::to_owned),
        );
        self.identity_command(move |ctx| {
            ctx.conn
                .prepare_cached(
                    "DELETE FROM id_tenant_member WHERE tenant_id = ?1 AND user_id IS ?2 \
                     AND group_id IS ?3",
                )?
                .execute(params![tenant, user, group])?;
            Ok(())
        })
        .await
    }

    /// Makes a user (`user`) or a group (`group`) a member of tenant `tenant`.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the tenant, user or group does not exist;
    /// [`Error::Invalid`] unless exactly one of `user` and `group` is given.
    pub async fn add_tenant_member(
        &self,
        tenant: &str,
        user: Option<&str>,
        group: Option<&str>,
    ) -> Result<()> {
        if user.is_some() == group.is_some() {
            return Err(Error::Invalid(
                "A tenant member is a user or a group".to_owned(),
            ));
        }
        let (tenant, user, group) = (
            tenant.to_owned(),
            user.map(str::to_owned),
            group.map(str::to_owned),
        );
        self.identity_command(move |ctx| {
            if !exists(ctx.conn, "id_tenant", &tenant)? {
                return Err(Error::NotFound(format!(
                    "No tenant found with id '{tenant}'"
                )));
            }
            if let Some(u) = &user {
                if !exists(ctx.conn, "id_user", u)? {
                    return Err(Error::NotFound(format!("No user found with id '{u}'")));
                }
            }
            if let Some(g) = &group {
                if !exists(ctx.conn, "id_group", g)? {
                    return Err(Error::NotFound(format!("No group found with id '{g}'")));
                }
            }
            let already: bool = ctx
                .conn
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM id_tenant_member WHERE tenant_id = ?1 \
                     AND user_id IS ?2 AND group_id IS ?3)",
                )?
                .query_row(params![tenant, user, group], |r| r.get(0))?;
            if !already {
                ctx.conn
                    .prepare_cached(
                        "INSERT INTO id_tenant_member (tenant_id, user_id, group_id) \
                         VALUES (?1, ?2, ?3)",
                    )?
                    .execute(params![tenant, user, group])?;
            }
            Ok(())
        })
        .await
    }

    /// The principal for user `user_id`: their groups in the identity store plus
    /// `extra_groups` (the groups an identity provider's token names), and the
    /// tenants the user or any of those groups belongs to. The user need not
    /// exist in the store (a token's subject may not).
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn principal(&self, user_id: &str, extra_groups: &[String]) -> Result<Principal> {
        let user = user_id.to_owned();
        let extra = extra_groups.to_vec();
        self.read(move |c| {
            let mut groups: Vec<String> = c
                .prepare_cached("SELECT group_id FROM id_membership WHERE user_id = ?1")?
                .query_map([&user], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            groups.extend(extra);
            groups.sort();
            groups.dedup();
            let group_list = serde_json::Value::from(groups.clone()).to_string();
            let tenants: Vec<String> = c
                .prepare_cached(
                    "SELECT DISTINCT tenant_id FROM id_tenant_member WHERE user_id = ?1 \
                     OR group_id IN (SELECT value FROM json_each(?2)) ORDER BY tenant_id",
                )?
                .query_map(params![user, group_list], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            Ok(Principal {
                user_id: user.clone(),
                groups,
                tenants,
            })
        })
        .await
    }

    /// The tenants user `user` belongs to, itself or through one of its groups.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn tenants_of(&self, user: &str) -> Result<Vec<String>> {
        let user = user.to_owned();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT DISTINCT tenant_id FROM id_tenant_member WHERE user_id = ?1 \
                 OR group_id IN (SELECT group_id FROM id_membership WHERE user_id = ?1) \
                 ORDER BY tenant_id",
            )?;
            let rows = stmt.query_map([&user], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }
}

fn user_filter(q: &UserQuery) -> Filter {
    let mut f = Filter::default();
    f.eq("id", &q.id);
    f.any("id", &q.ids);
    f.eq("first_name", &q.first_name);
    f.eq("last_name", &q.last_name);
    f.eq("email", &q.email);
    f.like("first_name", &q.first_name_like);
    f.like("last_name", &q.last_name_like);
    f.like("email", &q.email_like);
    if let Some(g) = &q.member_of_group {
        f.raw_arg(
            "id IN (SELECT user_id FROM id_membership WHERE group_id = ?)",
            g.clone(),
        );
    }
    if let Some(t) = &q.member_of_tenant {
        f.raw_arg(
            "id IN (SELECT user_id FROM id_tenant_member WHERE tenant_id = ?)",
            t.clone(),
        );
    }
    f.scope(
        &q.scope,
        &[(crate::authz::Resource::User, crate::authz::perm::READ, "id")],
        None,
    );
    f
}

fn group_filter(q: &GroupQuery) -> Filter {
    let mut f = Filter::default();
    f.eq("id", &q.id);
    f.any("id", &q.ids);
    f.eq("name", &q.name);
    f.like("name", &q.name_like);
    f.eq("type", &q.kind);
    if let Some(u) = &q.member {
        f.raw_arg(
            "id IN (SELECT group_id FROM id_membership WHERE user_id = ?)",
            u.clone(),
        );
    }
    if let Some(t) = &q.member_of_tenant {
        f.raw_arg(
            "id IN (SELECT group_id FROM id_tenant_member WHERE tenant_id = ?)",
            t.clone(),
        );
    }
    f.scope(
        &q.scope,
        &[(
            crate::authz::Resource::Group,
            crate::authz::perm::READ,
            "id",
        )],
        None,
    );
    f
}

fn tenant_filter(q: &TenantQuery) -> Filter {
    let mut f = Filter::default();
    f.eq("id", &q.id);
    f.any("id", &q.ids);
    f.eq("name", &q.name);
    f.like("name", &q.name_like);
    if let Some(u) = &q.user_member {
        // Both `?` are the one user parameter.
        let by_user = if q.include_membership_groups {
            "id IN (SELECT tenant_id FROM id_tenant_member WHERE user_id = ? \
             OR group_id IN (SELECT group_id FROM id_membership WHERE user_id = ?))"
        } else {
            "id IN (SELECT tenant_id FROM id_tenant_member WHERE user_id = ?)"
        };
        f.raw_arg(by_user, u.clone());
    }
    if let Some(g) = &q.group_member {
        f.raw_arg(
            "id IN (SELECT tenant_id FROM id_tenant_member WHERE group_id = ?)",
            g.clone(),
        );
    }
    f.scope(
        &q.scope,
        &[(
            crate::authz::Resource::Tenant,
            crate::authz::perm::READ,
            "id",
        )],
        None,
    );
    f
}

/// Rows of `f` over `head` (a `SELECT … FROM …`), by id, in a page.
/// A list's sort (Camunda's `sortBy` key and whether descending) with the keys
/// it may name, each with its column.
type SortKeys<'a> = (&'a Option<(String, bool)>, &'a [(&'a str, &'static str)]);

/// The rows of `head` that `f` selects, sorted by `sort` and then by id, and
/// paged.
fn page_of<T>(
    c: &Connection,
    mut f: Filter,
    head: &str,
    (sort, keys): SortKeys<'_>,
    first: usize,
    max: Option<usize>,
    row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>> {
    let by = match sort {
        None => None,
        Some((key, desc)) => match keys.iter().find(|(k, _)| k == key) {
            Some((_, column)) => Some((std::slice::from_ref(column), *desc)),
            None => {
                return Err(Error::Invalid(format!(
                    "Cannot set query parameter 'sortBy' to value '{key}'"
                )));
            }
        },
    };
    f.order(by, "id");
    f.page(first, max);
    f.query(c, head, "", row)
}

fn user_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        first_name: r.get(1)?,
        last_name: r.get(2)?,
        email: r.get(3)?,
    })
}

/// Runs `f` (hashing) on a blocking thread, off the async runtime's workers.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Internal(format!("a password check stopped: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let h = hash("s3cret").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("s3cret", Some(&h)));
        assert!(!verify("S3cret", Some(&h)));
        assert!(!verify("", Some(&h)));
        // Two hashes of one password differ: each has its own salt.
        assert_ne!(h, hash("s3cret").unwrap());
        // No stored hash never verifies, and a broken one neither.
        assert!(!verify("anything", None));
        assert!(!verify("s3cret", Some("not a hash")));
    }

    #[test]
    fn the_decoy_is_a_hash_argon2_reads() {
        assert!(PasswordHash::new(DECOY).is_ok());
    }
}
