// Reads a JSON list of {kind, text} from stdin and prints, for each, whether the page's rules
// accept it: what tests/client/test_rules_agree.py compares with the server's rules.
import { checkMessage, checkRoom, checkUsername } from '../../public/js/validation.js';

const checks = { name: checkUsername, message: checkMessage, room: checkRoom };
let input = '';
for await (const chunk of process.stdin) input += chunk;
const verdicts = JSON.parse(input).map(({ kind, text }) => checks[kind](text).error === null);
process.stdout.write(JSON.stringify(verdicts));
