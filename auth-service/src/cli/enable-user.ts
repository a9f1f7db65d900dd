import { runAccountStatusCommand } from './account-status';

runAccountStatusCommand('enable');
