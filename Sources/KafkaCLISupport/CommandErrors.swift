public import ArgumentParser

/// Rewords ArgumentParser's generic errors for the flags whose meaning the user should see ("-K needs a
/// delimiter" rather than "Missing value for '-K <delim>'").
public func friendlyParseError(_ error: any Error, for command: any ParsableCommand.Type) -> any Error {
    let message = command.message(for: error)
    let meanings: [(flag: String, meaning: String)] = [
        ("-K", "-K needs a delimiter"), ("-D", "-D needs a delimiter"), ("-t", "-t needs a topic"),
        ("-p", "partition must be a number"), ("-k", "-k needs a key"), ("-H", "-H needs name=value"),
        ("-b", "-b needs a broker list"), ("-X", "-X needs prop=value"), ("-F", "-F needs a file"),
        ("-G", "-G needs a group id"), ("-o", "-o needs an offset"), ("-c", "-c needs a count"),
        ("-f", "-f needs a format"), ("-z", "-z needs a codec"),
    ]
    for (flag, meaning) in meanings
    where message.hasPrefix("Missing value for '\(flag) ") || message.hasPrefix("Missing value for '\(flag)'") {
        return ValidationError(meaning)
    }
    return error
}
