//! (in progress: the ACL policy engine lands in its own commit)
