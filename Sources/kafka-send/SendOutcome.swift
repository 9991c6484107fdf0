/// Why reading stopped.
enum SendOutcome {
    case completed, interrupted, badLine, inputFailed, transactionFailed
}
