//! Which IP addresses are on the public internet, from the IANA special-purpose address
//! registries (the source of truth for "special" blocks; RFC 6890 defines their columns):
//!
//! - IPv4: <https://www.iana.org/assignments/iana-ipv4-special-registry/> plus multicast
//!   (224.0.0.0/4, <https://www.iana.org/assignments/ipv4-address-space/>);
//! - IPv6: <https://www.iana.org/assignments/iana-ipv6-special-registry/> and the IPv6
//!   address space registry (<https://www.iana.org/assignments/ipv6-address-space/>), whose
//!   only global unicast block is 2000::/3: everything outside it (loopback, unspecified,
//!   IPv4-mapped and IPv4-compatible forms, unique-local fc00::/7, link-local fe80::/10, the
//!   deprecated site-local fec0::/10 (RFC 3879), multicast ff00::/8, …) is never public.
//!
//! An address is public when the most specific registry block that holds it is "Globally
//! Reachable: True", or when no block holds it (ordinary allocated space). Blocks the registry
//! marks "N/A" (6to4 2002::/16, Teredo 2001::/32, the deprecated 6to4 relay anycast
//! 192.88.99.0/24) carry or reach another address we cannot vouch for, so they count as not
//! public. NAT64's well-known prefix 64:ff9b::/96 (RFC 6052) is global in the registry but
//! only as public as the IPv4 address it embeds.
//!
//! The rows follow the registries' 2024-era content (including 3fff::/20 documentation,
//! RFC 9637, and 5f00::/16 segment routing, RFC 9602, which 2000::/3 already excludes); they
//! were not re-fetched from IANA when written, so compare with the live registries when
//! touching this table. An entry the registries add later that is not globally reachable
//! would be treated as public until added here.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One registry row: a block, whether it is globally reachable, and its name (for tests and
/// readers).
struct Block<T> {
    prefix: T,
    len: u8,
    global: bool,
    name: &'static str,
}

const fn v4(a: u8, b: u8, c: u8, d: u8, len: u8, global: bool, name: &'static str) -> Block<u32> {
    Block {
        prefix: u32::from_be_bytes([a, b, c, d]),
        len,
        global,
        name,
    }
}

const fn v6(segments: [u16; 8], len: u8, global: bool, name: &'static str) -> Block<u128> {
    let mut value: u128 = 0;
    let mut i = 0;
    while i < 8 {
        value = (value << 16) | segments[i] as u128;
        i += 1;
    }
    Block {
        prefix: value,
        len,
        global,
        name,
    }
}

/// The IANA IPv4 Special-Purpose Address Registry, with multicast and limited broadcast.
const IPV4: &[Block<u32>] = &[
    v4(0, 0, 0, 0, 8, false, "\"This network\" (RFC 791)"),
    v4(10, 0, 0, 0, 8, false, "Private-Use (RFC 1918)"),
    v4(100, 64, 0, 0, 10, false, "Shared Address Space (RFC 6598)"),
    v4(127, 0, 0, 0, 8, false, "Loopback (RFC 1122)"),
    v4(169, 254, 0, 0, 16, false, "Link Local (RFC 3927)"),
    v4(172, 16, 0, 0, 12, false, "Private-Use (RFC 1918)"),
    v4(
        192,
        0,
        0,
        0,
        24,
        false,
        "IETF Protocol Assignments (RFC 6890)",
    ),
    v4(
        192,
        0,
        0,
        0,
        29,
        false,
        "IPv4 Service Continuity Prefix (RFC 7335)",
    ),
    v4(192, 0, 0, 8, 32, false, "IPv4 dummy address (RFC 7600)"),
    v4(
        192,
        0,
        0,
        9,
        32,
        true,
        "Port Control Protocol Anycast (RFC 7723)",
    ),
    v4(
        192,
        0,
        0,
        10,
        32,
        true,
        "Traversal Using Relays around NAT Anycast (RFC 8155)",
    ),
    v4(
        192,
        0,
        0,
        170,
        32,
        false,
        "NAT64/DNS64 Discovery (RFC 8880)",
    ),
    v4(
        192,
        0,
        0,
        171,
        32,
        false,
        "NAT64/DNS64 Discovery (RFC 8880)",
    ),
    v4(
        192,
        0,
        2,
        0,
        24,
        false,
        "Documentation TEST-NET-1 (RFC 5737)",
    ),
    v4(192, 31, 196, 0, 24, true, "AS112-v4 (RFC 7535)"),
    v4(192, 52, 193, 0, 24, true, "AMT (RFC 7450)"),
    v4(
        192,
        88,
        99,
        0,
        24,
        false,
        "Deprecated 6to4 Relay Anycast (RFC 7526)",
    ),
    v4(192, 168, 0, 0, 16, false, "Private-Use (RFC 1918)"),
    v4(
        192,
        175,
        48,
        0,
        24,
        true,
        "Direct Delegation AS112 Service (RFC 7534)",
    ),
    v4(198, 18, 0, 0, 15, false, "Benchmarking (RFC 2544)"),
    v4(
        198,
        51,
        100,
        0,
        24,
        false,
        "Documentation TEST-NET-2 (RFC 5737)",
    ),
    v4(
        203,
        0,
        113,
        0,
        24,
        false,
        "Documentation TEST-NET-3 (RFC 5737)",
    ),
    v4(224, 0, 0, 0, 4, false, "Multicast (RFC 5771)"),
    v4(240, 0, 0, 0, 4, false, "Reserved (RFC 1112)"),
    v4(255, 255, 255, 255, 32, false, "Limited Broadcast (RFC 919)"),
];

/// The IANA IPv6 Special-Purpose Address Registry, inside 2000::/3 (outside it nothing is
/// public, see the module comment), plus the deprecated blocks that registry retired.
const IPV6: &[Block<u128>] = &[
    v6(
        [0x2001, 0, 0, 0, 0, 0, 0, 0],
        23,
        false,
        "IETF Protocol Assignments (RFC 2928)",
    ),
    v6(
        [0x2001, 0, 0, 0, 0, 0, 0, 0],
        32,
        false,
        "TEREDO (RFC 4380): embeds IPv4",
    ),
    v6(
        [0x2001, 1, 0, 0, 0, 0, 0, 1],
        128,
        true,
        "Port Control Protocol Anycast (RFC 7723)",
    ),
    v6(
        [0x2001, 1, 0, 0, 0, 0, 0, 2],
        128,
        true,
        "TURN Anycast (RFC 8155)",
    ),
    v6(
        [0x2001, 1, 0, 0, 0, 0, 0, 3],
        128,
        true,
        "DNS-SD Service Registration Protocol Anycast (RFC 9665)",
    ),
    v6(
        [0x2001, 2, 0, 0, 0, 0, 0, 0],
        48,
        false,
        "Benchmarking (RFC 5180)",
    ),
    v6([0x2001, 3, 0, 0, 0, 0, 0, 0], 32, true, "AMT (RFC 7450)"),
    v6(
        [0x2001, 4, 0x112, 0, 0, 0, 0, 0],
        48,
        true,
        "AS112-v6 (RFC 7535)",
    ),
    v6(
        [0x2001, 0x10, 0, 0, 0, 0, 0, 0],
        28,
        false,
        "Deprecated ORCHID (RFC 4843)",
    ),
    v6(
        [0x2001, 0x20, 0, 0, 0, 0, 0, 0],
        28,
        true,
        "ORCHIDv2 (RFC 7343)",
    ),
    v6(
        [0x2001, 0x30, 0, 0, 0, 0, 0, 0],
        28,
        true,
        "Drone Remote ID Protocol Entity Tags (RFC 9374)",
    ),
    v6(
        [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0],
        32,
        false,
        "Documentation (RFC 3849)",
    ),
    v6(
        [0x2002, 0, 0, 0, 0, 0, 0, 0],
        16,
        false,
        "6to4 (RFC 3056): embeds IPv4",
    ),
    v6(
        [0x2620, 0x4f, 0x8000, 0, 0, 0, 0, 0],
        48,
        true,
        "Direct Delegation AS112 Service (RFC 7534)",
    ),
    v6(
        [0x3fff, 0, 0, 0, 0, 0, 0, 0],
        20,
        false,
        "Documentation (RFC 9637)",
    ),
];

fn mask<const BITS: u32>(len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        (!0u128 << (BITS - u32::from(len))) & (!0u128 >> (128 - BITS))
    }
}

/// The most specific block of `table` holding `address` (`BITS` wide).
fn most_specific<const BITS: u32, T: Copy + Into<u128>>(
    table: &'static [Block<T>],
    address: u128,
) -> Option<&'static Block<T>> {
    table
        .iter()
        .filter(|b| address & mask::<BITS>(b.len) == b.prefix.into())
        .max_by_key(|b| b.len)
}

/// Whether `ip` is an address on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

pub fn is_public_v4(ip: Ipv4Addr) -> bool {
    most_specific::<32, u32>(IPV4, u128::from(u32::from(ip))).is_none_or(|b| b.global)
}

pub fn is_public_v6(ip: Ipv6Addr) -> bool {
    let bits = u128::from(ip);
    // NAT64 well-known prefix 64:ff9b::/96: the embedded IPv4 address decides.
    if bits >> 32 == 0x0064_ff9b_0000_0000_0000_0000 {
        return is_public_v4(Ipv4Addr::from(bits as u32));
    }
    // Global unicast is 2000::/3 only.
    if bits >> 125 != 0b001 {
        return false;
    }
    most_specific::<128, u128>(IPV6, bits).is_none_or(|b| b.global)
}

/// The registry block that makes `ip` not public, for messages and tests.
pub fn special_block(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => most_specific::<32, u32>(IPV4, u128::from(u32::from(v4)))
            .filter(|b| !b.global)
            .map(|b| b.name),
        IpAddr::V6(v6) => most_specific::<128, u128>(IPV6, u128::from(v6))
            .filter(|b| !b.global)
            .map(|b| b.name),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// Every registry block (first and last address), the forms that embed IPv4, the
    /// deprecated ranges the outside campaign found missing, and ordinary public addresses.
    #[test]
    fn classification_table() {
        let table: &[(&str, bool)] = &[
            // IPv4 special-purpose blocks.
            ("0.0.0.0", false),
            ("0.255.255.255", false),
            ("10.0.0.1", false),
            ("10.255.255.255", false),
            ("100.64.0.1", false),
            ("100.127.255.255", false),
            ("100.128.0.1", true),
            ("127.0.0.1", false),
            ("127.255.255.254", false),
            ("169.254.169.254", false),
            ("172.16.0.1", false),
            ("172.31.255.255", false),
            ("172.32.0.1", true),
            ("192.0.0.1", false),
            ("192.0.0.8", false),
            ("192.0.0.9", true),
            ("192.0.0.10", true),
            ("192.0.0.170", false),
            ("192.0.0.255", false),
            ("192.0.2.1", false),
            ("192.31.196.1", true),
            ("192.52.193.1", true),
            ("192.88.99.1", false),
            ("192.168.1.1", false),
            ("192.175.48.1", true),
            ("198.18.0.1", false),
            ("198.19.255.255", false),
            ("198.20.0.1", true),
            ("198.51.100.7", false),
            ("203.0.113.9", false),
            ("224.0.0.1", false),
            ("239.255.255.255", false),
            ("240.0.0.1", false),
            ("255.255.255.255", false),
            ("93.184.216.34", true),
            ("8.8.8.8", true),
            ("1.1.1.1", true),
            // IPv6 outside 2000::/3.
            ("::", false),
            ("::1", false),
            ("::ffff:127.0.0.1", false),
            ("::ffff:8.8.8.8", false),
            ("::127.0.0.1", false),
            ("::8.8.8.8", false),
            ("100::1", false),
            ("64:ff9b:1::1", false),
            ("5f00::1", false),
            ("fc00::1", false),
            ("fd00::1", false),
            ("fe80::1", false),
            ("febf::1", false),
            ("fec0::1", false),
            ("feff::1", false),
            ("ff02::1", false),
            ("ff0e::1", false),
            // NAT64: as public as the IPv4 inside.
            ("64:ff9b::7f00:1", false),
            ("64:ff9b::a00:1", false),
            ("64:ff9b::a9fe:a9fe", false),
            ("64:ff9b::808:808", true),
            // IPv6 special-purpose blocks in 2000::/3.
            ("2001::7f00:1", false),
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", false),
            ("2001:1::1", true),
            ("2001:1::2", true),
            ("2001:1::4", false),
            ("2001:2::1", false),
            ("2001:3::1", true),
            ("2001:4:112::1", true),
            ("2001:10::1", false),
            ("2001:20::1", true),
            ("2001:30::1", true),
            ("2001:1ff::1", false),
            ("2001:200::1", true),
            ("2001:db8::1", false),
            ("2002:7f00:1::", false),
            ("2002:808:808::1", false),
            ("2620:4f:8000::1", true),
            ("3fff::1", false),
            ("3fff:fff::1", false),
            ("3fff:1000::1", true),
            ("2606:4700:4700::1111", true),
            ("2a00:1450:4001::200e", true),
        ];
        for (text, public) in table {
            let ip: IpAddr = text.parse().unwrap();
            assert_eq!(is_public(ip), *public, "{text}");
        }
    }

    #[test]
    fn a_refusal_names_the_registry_block() {
        assert_eq!(
            special_block("2002:7f00:1::".parse().unwrap()),
            Some("6to4 (RFC 3056): embeds IPv4")
        );
        assert_eq!(
            special_block("169.254.169.254".parse().unwrap()),
            Some("Link Local (RFC 3927)")
        );
        assert_eq!(special_block("8.8.8.8".parse().unwrap()), None);
    }
}
