/// Previous/next element indices of one element in an `IndexList`; -1 = none.
struct IndexLinks {
    var previous: Int32 = -1
    var next: Int32 = -1
}

/// A doubly linked FIFO threaded through a preallocated `[IndexLinks]`
/// (one entry per element index), so inserting, removing and moving an
/// element is O(1) index arithmetic and never allocates. The caller keeps
/// track of which list (if any) an element is on.
struct IndexList {
    /// Oldest element (first appended and not removed since), or -1.
    private(set) var head: Int32 = -1
    private(set) var tail: Int32 = -1
    private(set) var count = 0

    var first: Int32? { head >= 0 ? head : nil }

    mutating func append(_ element: Int32, links: inout [IndexLinks]) {
        links[Int(element)] = IndexLinks(previous: tail, next: -1)
        if tail >= 0 { links[Int(tail)].next = element } else { head = element }
        tail = element
        count &+= 1
    }

    mutating func remove(_ element: Int32, links: inout [IndexLinks]) {
        let entry = links[Int(element)]
        if entry.previous >= 0 { links[Int(entry.previous)].next = entry.next } else { head = entry.next }
        if entry.next >= 0 { links[Int(entry.next)].previous = entry.previous } else { tail = entry.previous }
        links[Int(element)] = IndexLinks()
        count &-= 1
    }

    /// Makes `element` the newest (it must be on this list).
    mutating func moveToBack(_ element: Int32, links: inout [IndexLinks]) {
        guard tail != element else { return }
        remove(element, links: &links)
        append(element, links: &links)
    }
}
