//! The schemas we publish (RFC 7643 §8.7.1: User, Enterprise User extension, Group) and
//! attribute lookup by path: type, multiValued, mutability, returned, caseExact, uniqueness
//! (helper proto owns this file).
