//! (in progress: the ACL benchmark lands with the ACL engine)
fn main() {}
