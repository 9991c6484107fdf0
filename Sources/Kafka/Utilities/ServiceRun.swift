import ServiceLifecycle

/// The body of a client's `Service.run()`: waits until the client is closed; a graceful shutdown or the
/// cancellation of the calling task starts the close.
func runUntilClosed(
    waitUntilClosed: @escaping @Sendable () async -> Void,
    requestClose: @escaping @Sendable () -> Void
) async {
    await withGracefulShutdownHandler {
        await withTaskCancellationHandler {
            await waitUntilClosed()
        } onCancel: {
            requestClose()
        }
    } onGracefulShutdown: {
        requestClose()
    }
}
